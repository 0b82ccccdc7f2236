"""The technique catalogue: the built-in data loads, and broken data is refused with file:line."""

from __future__ import annotations

import pytest

from capsa.errors import InputError
from capsa.graph.techniques import load_techniques, parse_techniques
from capsa.threats.catalogue import builtin_ids

MINIMAL = """\
capabilities:
  - {id: a, name: A, scope: cluster, entry: true}
  - {id: b, name: B, scope: pool, target: true}
techniques:
  - id: a-to-b
    name: A to B
    from: a
    to: b
    threats: [STRIDE-EOP-2]
    blockedBy: [STRIDE-EOP-2.M1]
    likelihood: 0.5
"""


def test_builtin_catalogue_loads_and_names_known_ids() -> None:
    catalogue = load_techniques()
    known = builtin_ids()
    assert len(catalogue.techniques) >= 30
    for technique in catalogue.techniques:
        assert set(technique.threats) <= known.threats
        assert set(technique.blocked_by) <= set(known.mitigations)
    assert {c.id for c in catalogue.capabilities.values() if c.target} == {
        "ca-keys",
        "admin-kubeconfig",
        "cloud-admin-creds",
        "management-etcd",
        "management-cut-off",
    }


def test_a_technique_from_a_principal_names_the_checks_that_name_principals() -> None:
    text = MINIMAL.replace("scope: cluster, entry", "scope: principal, entry")
    with pytest.raises(InputError) as raised:
        parse_techniques(text, "t.yaml")
    assert "a-to-b: a technique from a principal needs `namedBy` checks" in str(raised.value)
    named = text.replace("    likelihood: 0.5", "    namedBy: [CAPSA-AWS-004]\n    likelihood: 0.5")
    assert parse_techniques(named, "t.yaml").technique("a-to-b").named_by == ("CAPSA-AWS-004",)
    with pytest.raises(InputError) as raised:
        parse_techniques(named.replace("scope: principal", "scope: cluster"), "t.yaml")
    assert "namedBy needs a principal capability" in str(raised.value)


def test_minimal_catalogue_parses() -> None:
    catalogue = parse_techniques(MINIMAL, "t.yaml")
    assert catalogue.technique("a-to-b").likelihood == 0.5
    assert catalogue.edge_scope(catalogue.technique("a-to-b")) == "pool"
    assert catalogue.effort("STRIDE-EOP-2.M1") == 1.0


@pytest.mark.parametrize(
    ("change", "message", "line"),
    [
        (
            ("blockedBy: [STRIDE-EOP-2.M1]", "blockedBy: [STRIDE-EOP-2.M99]"),
            "unknown mitigation",
            10,
        ),
        (
            ("blockedBy: [STRIDE-EOP-2.M1]", "blockedBy: [EOP-2-M1]"),
            "unknown mitigation id 'EOP-2-M1'",
            10,
        ),
        (("threats: [STRIDE-EOP-2]", "threats: [STRIDE-EOP-9]"), "unknown threat", 9),
        (("to: b", "to: nowhere"), "unknown capability nowhere", 8),
        (("likelihood: 0.5", "likelihood: 1.5"), "likelihood", 11),
    ],
)
def test_broken_catalogue_is_refused_with_its_line(
    change: tuple[str, str], message: str, line: int
) -> None:
    text = MINIMAL.replace(*change)
    with pytest.raises(InputError) as caught:
        parse_techniques(text, "t.yaml")
    problem = caught.value.problems[0]
    assert message in problem.message
    assert (problem.path, problem.line) == ("t.yaml", line)


def test_role_on_a_non_pool_end_is_refused() -> None:
    text = MINIMAL.replace("    to: b\n", "    to: b\n    fromRole: worker\n")
    with pytest.raises(InputError, match="fromRole needs a pool capability"):
        parse_techniques(text, "t.yaml")


def test_every_problem_of_a_technique_file_is_reported_at_once() -> None:
    text = (
        MINIMAL.replace("scope: cluster", "scope: galaxy")
        + """  - id: b-to-a
    name: B to A
    from: b
    to: a
    threats: [STRIDE-EOP-9]
    blockedBy: [STRIDE-EOP-2.M1]
    likelihood: 0.5
    examples:
      fail: [{edge: blocked, holds: [STRIDE-EOP-2.M7]}]
      pass: [{edge: absent, absent: [nothing-stands-for-this]}]
"""
    )
    with pytest.raises(InputError) as caught:
        parse_techniques(text, "t.yaml")
    found = [(p.line, p.message) for p in caught.value.problems]
    assert found == [
        (
            2,
            "a: scope: Input should be 'global', 'account', 'namespace', 'subject', 'principal', 'cluster' or 'pool'",
        ),
        (16, "b-to-a: unknown threat id 'STRIDE-EOP-9'"),
        (20, "b-to-a: a fail example cannot show the edge blocked"),
        (20, "b-to-a: unknown mitigation id 'STRIDE-EOP-2.M7'"),
        (21, "b-to-a: no capability stands for 'nothing-stands-for-this'"),
    ]


def test_deciding_checks_exist_and_evidence_a_blocking_mitigation() -> None:
    """`decidedBy` names real checks (manifest, live or cloud), each evidencing one of the
    technique's blocking mitigations (or the same control under another threat)."""
    from capsa.checks.catalog import load_checks
    from capsa.cloud.catalog import cloud_checks
    from capsa.graph.controls import group_of
    from capsa.live.catalog import live_checks

    mitigation_of = {c.id: c.mitigation for c in load_checks()}
    mitigation_of.update({c.id: c.mitigation for c in live_checks().values()})
    mitigation_of.update({c.id: c.mitigation for c in cloud_checks()})
    named = [t for t in load_techniques().techniques if t.decided_by]
    assert named
    for technique in named:
        blocking = {m for b in technique.blocked_by for m in group_of(b)}
        for check in technique.decided_by:
            assert check in mitigation_of, (technique.id, check)
            assert mitigation_of[check] in blocking, (technique.id, check)
