"""The model loader: valid files load, broken ones report every problem with its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from capsa.errors import InputError
from capsa.model.index import ModelIndex
from capsa.model.loader import load_model
from capsa.model.types import AuthMethod, ElementType

FIXTURES = Path(__file__).parent / "fixtures"
SMALL = (FIXTURES / "small.yaml").read_text()


def write(tmp_path: Path, text: str, name: str = "model.yaml") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def problems_of(path: str) -> list[tuple[int | None, str]]:
    with pytest.raises(InputError) as info:
        load_model(path)
    return [(p.line, p.message) for p in info.value.problems]


def test_small_model_loads_with_typed_fields() -> None:
    model = load_model(str(FIXTURES / "small.yaml"))
    index = ModelIndex(model)
    assert index.elements["db"].type is ElementType.DATASTORE
    assert index.data_flows["user-to-web"].authentication is AuthMethod.OIDC
    assert index.elements["db"].attributes.stores == ["records"]


def test_crossings_are_computed_from_nesting() -> None:
    index = ModelIndex(load_model(str(FIXTURES / "small.yaml")))
    assert index.crossings(index.data_flows["user-to-web"]) == ["net", "box", "dc"]
    assert index.crossings(index.data_flows["web-to-db"]) == []


def test_unknown_element_in_flow_points_at_the_field(tmp_path: Path) -> None:
    text = SMALL.replace("    to: db\n", "    to: dbx\n")
    found = problems_of(write(tmp_path, text))
    line = text.splitlines().index("    to: dbx") + 1
    assert (line, "data flow 'web-to-db' to unknown element 'dbx'") in found


def test_duplicate_ids_are_reported_at_the_second_one(tmp_path: Path) -> None:
    text = SMALL.replace("  - id: box\n", "  - id: dc\n").replace("    parent: dc\n", "")
    found = problems_of(write(tmp_path, text))
    line = [i for i, raw in enumerate(text.splitlines(), 1) if raw == "  - id: dc"][1]
    assert any(ln == line and "duplicate id 'dc' in boundaries" in msg for ln, msg in found)


def test_boundary_cycle_is_reported(tmp_path: Path) -> None:
    text = SMALL.replace(
        "    name: Data centre\n    kind: vpc\n",
        "    name: Data centre\n    kind: vpc\n    parent: box\n",
    )
    found = problems_of(write(tmp_path, text))
    assert any("boundary nesting has a cycle" in msg and ln is not None for ln, msg in found)


def test_step_naming_missing_flow_and_missing_data_flow(tmp_path: Path) -> None:
    text = SMALL.replace(
        "include: read\n      - description: second", "include: nope\n      - description: second"
    )
    text = text.replace("uses: web-to-db", "uses: web-to-cache")
    found = problems_of(write(tmp_path, text))
    lines = text.splitlines()
    nope_step = lines.index("      - description: first read") + 1
    cache_step = lines.index("      - description: the web tier reads it") + 1
    assert (nope_step, "flow 'twice' step 1 includes missing flow 'nope'") in found
    assert (cache_step, "flow 'read' step 2 uses unknown data flow 'web-to-cache'") in found


def test_flows_including_each_other_are_a_cycle_reported_at_each_include(tmp_path: Path) -> None:
    """Running either would never end; validation must say so, not the flow runner."""
    text = SMALL.replace(
        "      - description: the web tier renders it\n        actor: web\n        action: render\n",
        "      - description: then both again\n        include: twice\n",
    )
    found = problems_of(write(tmp_path, text))
    lines = text.splitlines()
    back = lines.index("      - description: then both again") + 1
    assert (
        back,
        "flow 'read' step 3 includes 'twice', which includes 'read' again "
        "(read -> twice -> read); break the cycle",
    ) in found
    first = lines.index("      - description: first read") + 1
    assert any(ln == first and "(twice -> read -> twice)" in msg for ln, msg in found)


def test_a_flow_including_itself_is_named_as_such(tmp_path: Path) -> None:
    text = SMALL.replace(
        "include: read\n      - description: second", "include: twice\n      - description: second"
    )
    found = problems_of(write(tmp_path, text))
    assert any("flow 'twice' step 1 includes itself" in msg for _, msg in found)
    assert not any("missing flow 'twice'" in msg for _, msg in found)


def test_flows_including_others_without_a_cycle_are_accepted(tmp_path: Path) -> None:
    model = load_model(write(tmp_path, SMALL))  # `twice` includes `read` twice
    assert [step.include for step in model.flows[1].steps] == ["read", "read"]


def test_wrong_types_and_unknown_fields_all_reported_at_once(tmp_path: Path) -> None:
    text = SMALL.replace("    encrypted: true\n", "    encrypted: maybe\n").replace(
        "    type: datastore\n", "    type: datastore\n    colour: blue\n"
    )
    found = problems_of(write(tmp_path, text))
    lines = text.splitlines()
    assert (lines.index("    encrypted: maybe") + 1) in [ln for ln, _ in found]
    assert any(
        ln == lines.index("    colour: blue") + 1 and "unknown field" in msg for ln, msg in found
    )
    assert len(found) == 2


def test_yaml_syntax_error_has_line_and_column(tmp_path: Path) -> None:
    path = write(
        tmp_path, "apiVersion: capsa.dev/v1alpha1\nkind: SystemModel\nmetadata: {name: x\n"
    )
    with pytest.raises(InputError) as info:
        load_model(path)
    (problem,) = info.value.problems
    assert problem.line is not None and problem.column is not None
    assert "YAML syntax error" in problem.message


def test_unknown_api_version(tmp_path: Path) -> None:
    found = problems_of(write(tmp_path, SMALL.replace("capsa.dev/v1alpha1", "capsa.dev/v9")))
    assert found == [
        (1, "unknown apiVersion 'capsa.dev/v9'; this capsa reads 'capsa.dev/v1alpha1'")
    ]


def test_not_a_mapping_and_unreadable(tmp_path: Path) -> None:
    assert problems_of(write(tmp_path, "- a\n- b\n"))[0][1].startswith("a model file must be")
    assert "cannot read model file" in problems_of(str(tmp_path / "absent.yaml"))[0][1]
    binary = tmp_path / "bin.yaml"
    binary.write_bytes(b"\xff\xfe\x00bad")
    assert "not UTF-8" in problems_of(str(binary))[0][1]


def test_unknown_builtin() -> None:
    found = problems_of("builtin:nope")
    assert "no built-in model 'nope'" in found[0][1]


def test_extends_adds_and_overrides_by_id(tmp_path: Path) -> None:
    write(tmp_path, SMALL, "base.yaml")
    child = write(
        tmp_path,
        """apiVersion: capsa.dev/v1alpha1
kind: SystemModel
metadata: {name: child}
extends: base.yaml
elements:
  - id: db
    attributes: {encryptedAtRest: true}
  - id: cache
    name: Cache
    type: datastore
    boundary: box
dataFlows:
  - id: web-to-cache
    from: web
    to: cache
    protocol: tcp-passthrough
    encrypted: true
""",
        "child.yaml",
    )
    model = load_model(child)
    index = ModelIndex(model)
    assert model.metadata.name == "child"
    assert model.extends == "base.yaml"
    db = index.elements["db"]
    assert db.attributes.encrypted_at_rest is True
    assert db.attributes.stores == ["records"]  # untouched attributes survive the override
    assert db.name == "Database"
    assert "cache" in index.elements and "web-to-cache" in index.data_flows
    assert len(model.flows) == 2


def test_extends_errors_point_into_the_child(tmp_path: Path) -> None:
    write(tmp_path, SMALL, "base.yaml")
    text = """apiVersion: capsa.dev/v1alpha1
kind: SystemModel
metadata: {name: child}
extends: base.yaml
dataFlows:
  - id: web-to-cache
    from: web
    to: cache
    protocol: https
    encrypted: true
"""
    found = problems_of(write(tmp_path, text, "child.yaml"))
    assert found == [(8, "data flow 'web-to-cache' to unknown element 'cache'")]


def test_extends_loop_is_an_error(tmp_path: Path) -> None:
    write(
        tmp_path,
        "apiVersion: capsa.dev/v1alpha1\nkind: SystemModel\nmetadata: {name: a}\nextends: b.yaml\n",
        "a.yaml",
    )
    write(
        tmp_path,
        "apiVersion: capsa.dev/v1alpha1\nkind: SystemModel\nmetadata: {name: b}\nextends: a.yaml\n",
        "b.yaml",
    )
    found = problems_of(str(tmp_path / "a.yaml"))
    assert any("extends loops back" in msg for _, msg in found)


def test_override_type_error_points_at_the_child_item(tmp_path: Path) -> None:
    write(tmp_path, SMALL, "base.yaml")
    text = """apiVersion: capsa.dev/v1alpha1
kind: SystemModel
metadata: {name: child}
extends: base.yaml
elements:
  - id: extra
    name: Extra
    type: process
  - id: db
    type: spreadsheet
"""
    found = problems_of(write(tmp_path, text, "child.yaml"))
    assert len(found) == 1
    assert found[0][0] == 10 and "elements.1.type" in found[0][1]


def test_missing_parent_is_reported_at_the_extends_line(tmp_path: Path) -> None:
    text = "apiVersion: capsa.dev/v1alpha1\nkind: SystemModel\nmetadata: {name: c}\nextends: builtin:nope\n"
    found = problems_of(write(tmp_path, text))
    assert len(found) == 1
    assert found[0][0] == 4 and found[0][1].startswith(
        "extends 'builtin:nope': no built-in model 'nope'"
    )


def test_a_parent_that_is_no_model_is_named_at_the_extends_line_too(tmp_path: Path) -> None:
    """Its problems are at its own lines; the child's line that named it is said too."""
    (tmp_path / "notes.yaml").write_text("- just\n- a list\n")
    text = "apiVersion: capsa.dev/v1alpha1\nkind: SystemModel\nmetadata: {name: c}\nextends: notes.yaml\n"
    with pytest.raises(InputError) as info:
        load_model(write(tmp_path, text))
    where = {(Path(p.path).name, p.line) for p in info.value.problems}
    assert where == {("notes.yaml", 1), ("model.yaml", 4)}
    [named] = [p for p in info.value.problems if p.path.endswith("model.yaml")]
    assert named.message.startswith("extends 'notes.yaml', which is not a valid model: 1 problem")


def test_shipped_json_schema_matches_the_types() -> None:
    """schemas/ is what editors point at; it must be regenerated when the types change:
    `capsa model schema -o schemas/system-model-v1alpha1.json`."""
    import json

    from capsa.model.schema import model_json_schema

    shipped = Path(__file__).parents[2] / "schemas" / "system-model-v1alpha1.json"
    assert json.loads(shipped.read_text()) == model_json_schema()


def test_builtin_model_validates_against_the_json_schema() -> None:

    import jsonschema
    import yaml

    from capsa.model.schema import model_json_schema

    text = (Path(__file__).parents[2] / "src/capsa/model/builtin/capi-aws.yaml").read_text()
    jsonschema.Draft202012Validator(model_json_schema()).validate(yaml.safe_load(text))
    broken = yaml.safe_load(text)
    broken["dataFlows"][0]["protocol"] = "carrier-pigeon"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(model_json_schema()).validate(broken)
