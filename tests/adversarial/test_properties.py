"""Properties over generated input (Hypothesis, bounded and deterministic): whatever the
text, the readers, the variable substitution, the model loader and the check engine end
with results or located problems — never an exception — and a value standing for a
secret never appears in a problem.

Generators mix YAML's troublesome constructs (tags, aliases, anchors, directives, flow
and block collections, `0b_`-style numbers, impossible dates, tabs, control characters)
with ordinary Kubernetes-shaped text, so both the parser's error paths and the later
stages' handling of odd but valid values are exercised.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from hostile import CANARY, bounded
from hypothesis import given
from hypothesis import strategies as st

from capsa.checks.catalog import load_checks
from capsa.datafile import DataFile
from capsa.errors import InputError
from capsa.model.loader import load_model
from capsa.scan.service import ScanRequest, scan
from capsa.sources.clusterctl_vars import substitute
from capsa.sources.documents import load_documents
from capsa.sources.files import read_manifests

# --- generated YAML-ish text ---------------------------------------------------------------

ODD_SCALARS = [
    "0b_", "0x_", "0o7", "0b1_0", "1_000", "2024-02-30", "2024-13-01", "2001-12-14t21:59:43.10-05:00",
    "1" * 5000, ".nan", "-.inf", "~", "null", "yes", "off", "=", "<<", "!!int x", "!!bool x",
    "!!float x", "!!map [a]", "!!str [a]", "!!binary AAAA", "!!timestamp x", "!x", "!<!x> y",
    "!%41x", "!e!x", "*a", "&a x", "&a [*a]", "? [a]", "|", ">-", "'unterminated", '"\\q"',
    '"\\x41"', "[a, b", "{a: 1", "- x", ": x", "%TAG", "\t", "\x07", "\x1b[2J", "\u202e",
    "${VAR}", "${VAR:=x}", "$${x}", "${VAR/a/b}", "{{ .Values.x }}",
]  # fmt: skip
KEYS = ["apiVersion", "kind", "metadata", "name", "namespace", "spec", "data", "items",
        "<<", "a", "b", "ñ", "key with space", ""]  # fmt: skip
WORDS = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12
) | st.sampled_from(ODD_SCALARS)


@st.composite
def yaml_lines(draw: st.DrawFn, secret: str | None = None) -> str:
    """Lines with YAML's structure characters in every position."""
    lines = []
    for _ in range(draw(st.integers(1, 14))):
        indent = " " * draw(st.sampled_from([0, 0, 2, 4, 1, 3]))
        dash = draw(st.sampled_from(["", "", "- ", "-"]))
        key = draw(st.sampled_from(KEYS))
        value = draw(WORDS)
        if secret is not None:
            prefix = draw(
                st.sampled_from(["!", "!!int ", "!!bool ", "*", "!<!", "&", "!!float ", ""])
            )
            value = prefix + secret
        sep = draw(st.sampled_from([": ", ":", " ", ": |\n  ", ": [", ": {"]))
        lines.append(f"{indent}{dash}{key}{sep}{value}")
        if draw(st.booleans()) and draw(st.booleans()):
            lines.append(draw(st.sampled_from(["---", "...", "%YAML 1.1", "# c", ""])))
    return "\n".join(lines) + draw(st.sampled_from(["", "\n"]))


SAFE_WORDS = st.from_regex(r"[a-z][a-z0-9-]{0,8}", fullmatch=True)
RAW_VALUES = st.sampled_from(ODD_SCALARS) | SAFE_WORDS


def _emit(tree: Any, indent: int) -> list[str]:
    """Block-style YAML for a tree whose leaves are raw scalar text (written unquoted, so
    `0b_` or `!!int x` reach the constructor rather than staying strings)."""
    pad = " " * indent
    if isinstance(tree, dict):
        lines = []
        for key, value in tree.items():
            if isinstance(value, dict | list) and value:
                lines += [f"{pad}{key}:", *_emit(value, indent + 2)]
            else:
                lines.append(f"{pad}{key}: {value if not isinstance(value, dict | list) else '{}'}")
        return lines or [f"{pad}{{}}"]
    if isinstance(tree, list):
        lines = []
        for item in tree:
            inner = _emit(item, indent + 2)
            lines.append(f"{pad}- {inner[0].lstrip()}")
            lines += inner[1:]
        return lines or [f"{pad}[]"]
    return [f"{pad}{tree}"]


def yaml_documents(values: st.SearchStrategy[str] = RAW_VALUES) -> st.SearchStrategy[str]:
    """Well-formed multi-document YAML whose scalars are drawn from `values`."""
    trees = st.recursive(
        values,
        lambda inner: (
            st.lists(inner, min_size=1, max_size=3)
            | st.dictionaries(SAFE_WORDS, inner, min_size=1, max_size=4)
        ),
        max_leaves=12,
    )
    documents = st.dictionaries(SAFE_WORDS, trees, min_size=1, max_size=4)
    return st.lists(documents, min_size=1, max_size=3).map(
        lambda docs: "---\n".join("\n".join(_emit(d, 0)) + "\n" for d in docs)
    )


ANY_TEXT = st.text(max_size=300) | yaml_lines() | yaml_documents()
SECRET_VALUES = st.sampled_from(["!", "!!int ", "!!bool ", "*", "!<!", "!!float ", "!%43"]).map(
    lambda prefix: prefix + CANARY
)


def _located(problems: list[Any], path: str, text: str) -> None:
    limit = text.count("\n") + 2
    for problem in problems:
        assert problem.path == path
        assert problem.line is None or 1 <= problem.line <= limit, (problem, text)
        assert problem.message


@bounded(120)
@given(ANY_TEXT)
def test_manifest_documents_never_raise(text: str) -> None:
    docs, problems = load_documents(text, "f.yaml")
    _located(problems, "f.yaml", text)
    assert all(isinstance(line, int) for line, _ in docs)


@bounded(150)
@given(ANY_TEXT)
def test_data_files_raise_only_located_input_errors(text: str) -> None:
    try:
        DataFile.parse("d.yaml", text, expect=None)
    except InputError as error:
        _located(error.problems, "d.yaml", text)


@bounded(150)
@given(yaml_lines(secret=CANARY) | yaml_documents(SECRET_VALUES | RAW_VALUES))
def test_no_yaml_problem_quotes_a_value(text: str) -> None:
    _, problems = load_documents(text, "f.yaml")
    assert CANARY not in " ".join(p.message for p in problems)
    try:
        DataFile.parse("d.yaml", text, expect=None)
    except InputError as error:
        assert CANARY not in str(error)


@bounded(80)
@given(st.lists(st.text(max_size=40) | yaml_lines() | yaml_documents(), min_size=1, max_size=3))
def test_whole_manifest_reads_never_raise(tmp_path_factory: Any, texts: list[str]) -> None:
    folder = Path(tmp_path_factory.mktemp("m"))
    for index, text in enumerate(texts):
        (folder / f"{index}.yaml").write_text(text, encoding="utf-8")
    result = read_manifests([str(folder)])
    for problem in result.problems:
        assert problem.path.startswith(str(folder)) and problem.message


# --- clusterctl variable substitution --------------------------------------------------------

DOLLARS = st.text(alphabet="${}:-=+?/#%^,_ aZ9\n'\"\\", max_size=80)
NAMES = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,8}", fullmatch=True)


@bounded(120)
@given(DOLLARS | ANY_TEXT, st.dictionaries(NAMES, st.just(CANARY) | st.text(max_size=20)))
def test_substitution_never_raises_nor_shows_a_value(text: str, variables: dict[str, str]) -> None:
    result = substitute(text, variables, path="t.yaml")
    assert isinstance(result.text, str)
    assert result.text.count("\n") == text.count("\n")  # lines never move
    _located(result.problems, "t.yaml", text)
    assert CANARY not in " ".join(p.message for p in result.problems)


# --- the model loader --------------------------------------------------------------------------

MODEL_KEYS = ["apiVersion", "kind", "metadata", "name", "title", "extends", "boundaries",
              "elements", "assets", "dataFlows", "flows", "id", "type", "boundary", "parent",
              "attributes", "from", "to", "protocol", "steps", "sensitivity", "exposure",
              "stores", "x"]  # fmt: skip
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(10**30), 10**30)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=15)
    | st.sampled_from(["process", "actor", "datastore", "cluster", "node", "internet", "https"])
    | st.dates()
    | st.binary(max_size=8)
)
TREES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(MODEL_KEYS), inner, max_size=5)
    ),
    max_leaves=25,
)


@bounded(80)
@given(
    st.dictionaries(st.sampled_from(MODEL_KEYS), TREES, max_size=8),
    st.sampled_from(["", *[f"\n{k}: {v}\n" for k in ("x", "title") for v in ODD_SCALARS[:20]]]),
)
def test_the_model_loader_raises_only_located_input_errors(
    tmp_path_factory: Any, tree: dict[str, Any], tail: str
) -> None:
    tree = {"apiVersion": "capsa.dev/v1alpha1", "kind": "SystemModel", **tree}
    path = Path(tmp_path_factory.mktemp("model")) / "model.yaml"
    path.write_text(yaml.safe_dump(tree, allow_unicode=True) + tail, encoding="utf-8")
    try:
        load_model(str(path))
    except InputError as error:
        for problem in error.problems:
            assert problem.message
            assert problem.path in (str(path), tree.get("extends"), str(tree.get("extends")))


# --- the check engine ---------------------------------------------------------------------------

CHECKS = tuple(load_checks())
KINDS = sorted({(k.group, k.kind) for c in CHECKS for k in c.match.kinds})
FIELDS = ["spec", "template", "kubeadmConfigSpec", "clusterConfiguration", "apiServer",
          "extraArgs", "files", "users", "instanceMetadataOptions", "httpTokens", "ami", "id",
          "sshKeyName", "identityRef", "kind", "name", "controlPlaneRef", "infrastructureRef",
          "network", "cni", "image", "containers", "securityContext", "privileged", "rules",
          "verbs", "resources", "subjects", "roleRef", "data", "stringData", "clusterSelector",
          "matchLabels", "topology", "variables", "value", "version", "replicas",
          "machineTemplate", "bastion", "enabled", "allowedCIDRBlocks", "ingressRules",
          "controlPlaneLoadBalancer", "scheme", "encrypted", "iamInstanceProfile"]  # fmt: skip
VALUES = st.recursive(
    SCALARS | st.sampled_from(["optional", "required", "true", "*", "0.0.0.0/0", "${X}"]),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(FIELDS), inner, max_size=4)
    ),
    max_leaves=30,
)


@st.composite
def k8s_objects(draw: st.DrawFn) -> dict[str, Any]:
    group, kind = draw(st.sampled_from(KINDS))
    version = draw(st.sampled_from(["v1beta1", "v1beta2", "v1"]))
    meta: dict[str, Any] = {"name": draw(st.text(min_size=1, max_size=10))}
    if draw(st.booleans()):
        meta["namespace"] = draw(st.sampled_from(["a", "b", "default"]))
    if draw(st.booleans()):
        meta["labels"] = draw(st.dictionaries(st.text(max_size=5), SCALARS, max_size=3))
    return {
        "apiVersion": f"{group}/{version}" if group else version,
        "kind": kind,
        "metadata": meta,
        "spec": draw(st.dictionaries(st.sampled_from(FIELDS), VALUES, max_size=5)),
    }


@bounded(40)
@given(st.lists(k8s_objects(), min_size=1, max_size=4))
def test_the_check_engine_gives_findings_or_located_problems(
    tmp_path_factory: Any, objects: list[dict[str, Any]]
) -> None:
    path = Path(tmp_path_factory.mktemp("scan")) / "objects.yaml"
    text = yaml.safe_dump_all(objects, allow_unicode=True)
    path.write_text(text, encoding="utf-8")
    result = scan(ScanRequest(paths=[str(path)], checks=CHECKS))
    for problem in result.errors:
        assert problem.message
    names = {str(o["metadata"]["name"]) for o in objects}
    for finding in result.findings:
        assert finding.resource.name in names or finding.resource.kind not in {k for _, k in KINDS}
