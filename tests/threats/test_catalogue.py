from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from threats_support import asset, build_model, element, flow

from capsa.errors import InputError
from capsa.threats.catalogue import (
    STRIDE_CATEGORIES,
    Catalogue,
    attach_checks,
    load_catalogue,
)

DATA = Path(__file__).parents[2] / "src" / "capsa" / "threats" / "data" / "catalogue.yaml"


def _model_naming_everything() -> object:
    raw = yaml.safe_load(DATA.read_text())
    elements = sorted({e for t in raw["threats"] for e in t["elements"]})
    flows = sorted({f for t in raw["threats"] for f in t["flows"]})
    assets = sorted({a for t in raw["threats"] for a in t["assets"]})
    return build_model(
        elements=[element(e) for e in elements],
        flows=[flow(f, elements[0], elements[1]) for f in flows],
        assets=[asset(a) for a in assets],
    )


def _catalogue() -> Catalogue:
    return load_catalogue(_model_naming_everything())  # type: ignore[arg-type]


def test_catalogue_has_every_threat_and_gap() -> None:
    ids = [t.id for t in _catalogue().threats]
    expected = (
        [f"STRIDE-SPOOF-{i}" for i in range(1, 6)]
        + [f"STRIDE-TAMPER-{i}" for i in range(1, 3)]
        + ["STRIDE-REPUDIATE-01", "STRIDE-REPUDIATE-02"]
        + [f"STRIDE-INFODISCLOSE-{i}" for i in range(1, 5)]
        + [f"STRIDE-DOS-{i}" for i in range(1, 7)]
        + [f"STRIDE-EOP-{i}" for i in range(1, 4)]
        + ["DEV-01", "DEV-02", "DEV-SBOM"]
    )
    assert ids == expected
    assert sum(t.is_stride for t in _catalogue().threats) == 22


def test_mitigation_numbering_follows_the_assessment_bullets() -> None:
    cat = _catalogue()
    counts = {t.id: len(t.mitigations) for t in cat.threats}
    assert counts["STRIDE-SPOOF-1"] == 6
    assert counts["STRIDE-INFODISCLOSE-3"] == 5
    assert counts["STRIDE-EOP-1"] == 5
    found = cat.mitigation("STRIDE-SPOOF-1.M6")
    assert found is not None and "audit" in found[1].text.lower()
    for threat in cat.threats:
        assert [m.id for m in threat.mitigations] == [
            f"{threat.id}.M{k}" for k in range(1, len(threat.mitigations) + 1)
        ]
        assert threat.category in STRIDE_CATEGORIES or not threat.is_stride


def test_unknown_element_fails_with_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "cat.yaml"
    bad.write_text(
        "apiVersion: capsa.dev/v1alpha1\nkind: ThreatCatalogue\nthreats:\n"
        "  - id: T-1\n    category: spoofing\n    title: t\n    description: d\n"
        "    elements: [known, ghost]\n"
        "    mitigations:\n      - id: T-1.M1\n        text: x\n"
        "        upstreamStatus: partial\n        statusIn2022: open\n"
    )
    model = build_model(elements=[element("known")])
    with pytest.raises(InputError) as info:
        load_catalogue(model, str(bad))
    (problem,) = info.value.problems
    assert problem.line == 8 and "ghost" in problem.message
    good = bad.read_text().replace(", ghost", "")
    bad.write_text(good)
    assert load_catalogue(model, str(bad)).threats[0].elements == ("known",)


def test_unknown_field_is_reported(tmp_path: Path) -> None:
    bad = tmp_path / "cat.yaml"
    bad.write_text(
        "apiVersion: capsa.dev/v1alpha1\nkind: ThreatCatalogue\nthreats: []\ncolour: red\n"
    )
    with pytest.raises(InputError) as info:
        load_catalogue(build_model(), str(bad))
    assert info.value.problems[0].line == 4


def test_attach_checks_fills_mitigations_and_rejects_unknown_ids() -> None:
    cat = _catalogue()
    linked = attach_checks(cat, [("capa-imds-v2", "STRIDE-SPOOF-1.M1", ["STRIDE-SPOOF-1"])])
    found = linked.mitigation("STRIDE-SPOOF-1.M1")
    assert found is not None and found[1].checks == ("capa-imds-v2",)
    assert cat.mitigation("STRIDE-SPOOF-1.M1")[1].checks == ()  # type: ignore[index]
    with pytest.raises(InputError) as info:
        attach_checks(cat, [("c1", "STRIDE-SPOOF-1.M9", ["STRIDE-NOPE-1"])])
    messages = " ".join(p.message for p in info.value.problems)
    assert "STRIDE-SPOOF-1.M9" in messages and "STRIDE-NOPE-1" in messages


def test_every_problem_of_a_catalogue_is_reported_at_once(tmp_path: Path) -> None:
    threat = (
        "  - id: {id}\n    category: {category}\n    title: t\n    description: d\n"
        "    elements: [{element}]\n"
        "    mitigations:\n      - id: {mitigation}\n        text: x\n"
        "        upstreamStatus: partial\n        statusIn2022: open\n"
    )
    bad = tmp_path / "cat.yaml"
    bad.write_text(
        "apiVersion: capsa.dev/v1alpha1\nkind: ThreatCatalogue\nthreats:\n"
        + threat.format(id="T-1", category="gossip", element="known", mitigation="T-1.M1")
        + threat.format(id="T-2", category="spoofing", element="ghost", mitigation="T-9.M1")
        + threat.format(id="T-2", category="spoofing", element="known", mitigation="T-2.M1")
    )
    with pytest.raises(InputError) as info:
        load_catalogue(build_model(elements=[element("known")]), str(bad))
    found = [(p.line, p.message) for p in info.value.problems]
    assert found == [
        (
            5,
            "T-1: category: Input should be 'spoofing', 'tampering', 'repudiation', "
            "'information-disclosure', 'denial-of-service', 'elevation-of-privilege' or "
            "'project-hygiene'",
        ),
        (18, "T-2: model has no element 'ghost'"),
        (20, "mitigation id 'T-9.M1': must start with the threat id and .M"),
        (24, "duplicate threat id 'T-2' (first at line 14)"),
    ]


def test_shipped_catalogue_is_parsed_once_and_names_its_ids() -> None:
    from capsa.threats.catalogue import builtin_catalogue, builtin_ids

    assert builtin_catalogue() is builtin_catalogue()
    ids = builtin_ids()
    assert (
        "STRIDE-SPOOF-1" in ids.threats and ids.mitigations["STRIDE-SPOOF-1.M5"] == "STRIDE-SPOOF-1"
    )
    assert "STRIDE-SPOOF-1.M99" not in ids.mitigations
