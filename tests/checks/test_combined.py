"""Checks of one scope evaluated in one program (`capsa.checks.combined`): the results
are the ones each check alone gives, errors included, whatever the program's shape."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pytest
from checks_support import resources
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from capsa.checks import combined as combined_module
from capsa.checks import engine
from capsa.checks.catalog import load_checks
from capsa.checks.combined import combined, combined_text
from capsa.checks.engine import EvaluationResult, evaluate
from capsa.checks.environment import environment
from capsa.checks.model import Check

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"

CONTROL_PLANE = """\
apiVersion: controlplane.cluster.x-k8s.io/v1beta1
kind: KubeadmControlPlane
metadata: {name: weak, namespace: ns}
spec:
  kubeadmConfigSpec:
    clusterConfiguration:
      apiServer:
        extraArgs: {anonymous-auth: "true", authorization-mode: AlwaysAllow, profiling: "true"}
    files:
      - {path: /etc/kubernetes/admin.conf, permissions: "0644", content: x}
---
apiVersion: controlplane.cluster.x-k8s.io/v1beta1
kind: KubeadmControlPlane
metadata: {name: strong, namespace: ns}
spec:
  kubeadmConfigSpec:
    clusterConfiguration:
      apiServer:
        extraArgs:
          anonymous-auth: "false"
          authorization-mode: Node,RBAC
          profiling: "false"
          encryption-provider-config: /etc/kubernetes/enc.yaml
          audit-log-path: /var/log/audit.log
          audit-policy-file: /etc/kubernetes/audit.yaml
"""


@pytest.fixture(autouse=True)
def _fresh(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts with no program kept, and a set compiled when first asked."""
    combined_module.forget_all()
    monkeypatch.setattr(combined_module, "COMPILE_AFTER", 1)


def _check(check_id: str, expression: str, variables: list[dict[str, str]] | None = None) -> Check:
    return Check.model_validate(
        {
            "id": check_id,
            "title": "test",
            "severity": "low",
            "threats": ["STRIDE-SPOOF-1"],
            "mitigation": "STRIDE-SPOOF-1.M1",
            "match": {"kinds": [{"group": "", "kind": "ConfigMap"}]},
            "scope": "object",
            "expression": expression,
            "field": "data",
            "message": f"{check_id} failed.",
            "remediation": "Fix it.",
            "references": ["https://example.invalid"],
            "providers": ["aws"],
            "variables": variables or [],
        }
    )


def _shape(result: EvaluationResult) -> tuple[Any, ...]:
    return (
        [(f.check_id, f.resource.name, f.location) for f in result.findings],
        [(r.check_id, r.resource.name, r.reason, r.by_default) for r in result.passes],
        [(r.check_id, r.resource.name, r.location, r.reason) for r in result.unknown],
        [(r.check_id, r.resource.name) for r in result.not_applicable],
        [p.message for p in result.problems],
    )


def _alone(
    monkeypatch: pytest.MonkeyPatch, docs: list[Any], checks: list[Check]
) -> EvaluationResult:
    """What evaluating each check on its own gives."""
    with monkeypatch.context() as patch:
        patch.setattr(engine, "combined", lambda scope, checks: None)
        return evaluate(docs, checks)


def test_the_catalogs_control_plane_checks_give_what_each_gives_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    checks = load_checks()
    docs = resources(CONTROL_PLANE, path="cp.yaml")
    together = evaluate(docs, checks)
    assert _shape(together) == _shape(_alone(monkeypatch, docs, checks))
    failed = {(f.check_id, f.resource.name) for f in together.findings}
    api_server = {pair for pair in failed if pair[0].startswith("CAPSA-APISRV")}
    assert api_server == {
        ("CAPSA-APISRV-001", "weak"),
        ("CAPSA-APISRV-002", "weak"),
        ("CAPSA-APISRV-003", "weak"),
        ("CAPSA-APISRV-006", "weak"),
    }


def test_shared_variables_are_bound_once_around_the_checks_that_share_them() -> None:
    spec = {"name": "spec", "expression": "object.?data.orValue({})"}
    flags = {"name": "flags", "expression": "variables.spec.map(k, k)"}
    checks = [
        _check("CAPSA-T-001", "'a' in variables.spec", [spec]),
        _check("CAPSA-T-002", "variables.flags.size() < 3", [spec, flags]),
        _check("CAPSA-T-003", "object.metadata.name != ''"),
        _check("CAPSA-T-004", "!('b' in variables.flags)", [spec, flags]),
    ]
    text, order = combined_text(checks)
    assert text.count("cel.bind(_var_spec,") == 1 and text.count("cel.bind(_var_flags,") == 1
    assert sorted(order) == [0, 1, 2, 3]
    program = combined("object", checks)
    assert program is not None
    doc = {"kind": "ConfigMap", "metadata": {"name": "x"}, "data": {"a": "1", "b": "2"}}
    activation = environment("object").activation({"object": doc})
    assert program.values(activation) == {0: True, 1: True, 2: True, 3: False}


def test_a_failing_check_fails_the_program_and_each_is_evaluated_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    checks = [
        _check("CAPSA-T-001", "object.data.a == '1'"),
        _check("CAPSA-T-002", "object.data.missing == 'x'"),  # no such key: an error
        _check("CAPSA-T-003", "object.data"),  # a map, not true or false
    ]
    docs = resources("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: '1'}\n")
    together = evaluate(docs, checks)
    assert _shape(together) == _shape(_alone(monkeypatch, docs, checks))
    said = [p.message for p in together.problems]
    assert [(r.check_id, "missing" in (r.reason or "")) for r in together.unknown] == [
        ("CAPSA-T-002", True)  # a field that is absent leaves it undecided, as alone
    ]
    assert any("CAPSA-T-003" in m and "a map" in m for m in said)
    assert [r.check_id for r in together.passes] == ["CAPSA-T-001"]


def test_a_program_the_parser_refuses_whole_is_split_by_first_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # nesting near the parser's limit of 32: alone each compiles, together they do not,
    # nor does the second variable's part (its own nesting is deeper)
    deep = "(" * 26 + "{var}.a == '1'" + ")" * 26
    first = [{"name": "one", "expression": "object.data"}]
    second = [{"name": "two", "expression": "object.metadata"}]
    checks = [
        _check("CAPSA-T-001", deep.format(var="variables.one"), first),
        _check("CAPSA-T-002", deep.format(var="variables.two.?labels.orValue({'a': '1'})"), second),
        _check("CAPSA-T-003", "variables.one.a == '1'", first),
    ]
    program = combined("object", checks)
    assert program is not None
    assert [order for _, order in program.parts] == [(0, 2)]  # the second check: alone
    docs = resources("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: '1'}\n")
    together = evaluate(docs, checks)
    assert _shape(together) == _shape(_alone(monkeypatch, docs, checks))
    assert [r.check_id for r in together.passes] == ["CAPSA-T-001", "CAPSA-T-002", "CAPSA-T-003"]


def test_checks_loaded_again_share_the_program_compiled_before() -> None:
    """Each scan loads its checks anew: equal checks, other objects. They meet the
    program compiled for the first ones, not a copy of it (the reviewer saw five scans
    in one process keep five)."""
    checks = [_check("CAPSA-T-001", "true"), _check("CAPSA-T-002", "false")]
    program = combined("object", checks)
    assert program is not None and combined("object", checks) is program
    twins = [_check("CAPSA-T-001", "true"), _check("CAPSA-T-002", "false")]
    assert combined("object", twins) is program
    assert len(combined_module._BY_TEXT) == 1
    other = [_check("CAPSA-T-001", "true"), _check("CAPSA-T-002", "1 == 2")]
    assert combined("object", other) not in (None, program)


def test_a_scan_after_scan_in_one_process_keeps_one_set_of_programs(tmp_path: Path) -> None:
    from capsa.scan.service import ScanRequest, scan

    (tmp_path / "cp.yaml").write_text(CONTROL_PLANE, encoding="utf-8")
    kept = []
    for _ in range(3):
        scan(ScanRequest(paths=[str(tmp_path)], checks=tuple(load_checks())))
        kept.append((len(combined_module._BY_TEXT), combined_module._KEPT_TEXT[0]))
    assert kept[0] == kept[1] == kept[2] and kept[0][0] > 0


def test_a_set_is_compiled_once_asked_for_often_enough(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(combined_module, "COMPILE_AFTER", 3)
    checks = [_check("CAPSA-T-001", "true"), _check("CAPSA-T-002", "false")]
    assert combined("object", checks) is None and combined("object", checks) is None
    program = combined("object", checks)
    assert program is not None and combined("object", checks) is program


def test_programs_past_the_text_budget_are_not_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    first = [_check("CAPSA-T-001", "true"), _check("CAPSA-T-002", "false")]
    text = combined_text(first)[0]
    monkeypatch.setattr(combined_module, "TEXT_BUDGET", len(text) + 10)
    assert combined("object", first) is not None
    second = [_check("CAPSA-T-003", "1 == 1"), _check("CAPSA-T-004", "2 == 2")]
    assert combined("object", second) is None  # over the budget: each alone
    docs = resources("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: '1'}\n")
    assert [r.check_id for r in evaluate(docs, second).passes] == ["CAPSA-T-003", "CAPSA-T-004"]
    combined_module.forget_all()
    assert combined("object", second) is not None


@pytest.mark.skipif(not CORPUS.is_dir(), reason="shared corpus not present")
def test_on_the_corpus_results_are_the_ones_each_check_gives_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from capsa.sources.files import read_manifests

    checks = load_checks()
    docs = read_manifests([str(CORPUS)]).resources
    together = evaluate(docs, checks)
    assert together.findings and together.passes
    assert _shape(together) == _shape(_alone(monkeypatch, docs, checks))


@cache
def _object_checks() -> list[Check]:
    return [c for c in load_checks() if c.scope == "object"]


_TEXTS = st.sampled_from(
    ["true", "false", "", "0644", "0600", "AlwaysAllow", "Node,RBAC", "/etc/x", "VersionTLS10"]
)
_ODD = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.lists(st.sampled_from(["a", "b"]), max_size=2),
    st.dictionaries(st.sampled_from(["name", "value", "path"]), st.text(max_size=3), max_size=2),
)
_FLAG_NAMES = st.sampled_from(
    [
        "anonymous-auth",
        "authorization-mode",
        "profiling",
        "encryption-provider-config",
        "audit-log-path",
        "audit-policy-file",
        "tls-min-version",
        "read-only-port",
    ]
)
_FILE = st.fixed_dictionaries(
    {"path": st.sampled_from(["/etc/kubernetes/admin.conf", "/etc/x"]), "content": _TEXTS},
    optional={"permissions": _TEXTS, "owner": st.sampled_from(["root:root", "x"])},
)


def _documents(values: st.SearchStrategy[Any], odd: bool) -> st.SearchStrategy[tuple[Any, ...]]:
    """Control planes whose flags and kubelet flags take `values`; with `odd`, their
    files and users may be `values` too instead of lists."""
    flags = st.dictionaries(_FLAG_NAMES, values, max_size=4)
    files = st.lists(_FILE, max_size=2)
    users = st.lists(st.fixed_dictionaries({"name": _TEXTS}), max_size=1)
    if odd:
        files, users = st.one_of(files, values), st.one_of(users, values)
    return st.tuples(flags, flags, files, users)


def _plane(flags: dict[str, Any], kubelet: dict[str, Any], files: Any, extra: Any) -> str:
    import yaml

    spec = {
        "kubeadmConfigSpec": {
            "clusterConfiguration": {"apiServer": {"extraArgs": flags}},
            "initConfiguration": {"nodeRegistration": {"kubeletExtraArgs": kubelet}},
            "files": files,
            "users": extra,
        }
    }
    body = {
        "apiVersion": "controlplane.cluster.x-k8s.io/v1beta1",
        "kind": "KubeadmControlPlane",
        "metadata": {"name": "cp", "namespace": "ns"},
        "spec": spec,
    }
    return str(yaml.safe_dump(body))


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(document=st.one_of(_documents(_TEXTS, False), _documents(st.one_of(_TEXTS, _ODD), True)))
def test_any_control_plane_gets_what_each_check_gives_alone(
    monkeypatch: pytest.MonkeyPatch, document: tuple[Any, ...]
) -> None:
    """Well-typed control planes are decided by the combined program; odd types (a flag
    that is a list, a number, null; files that are no list) make some check fail, the
    combined program with it, and what each check gives alone (error, unknown, finding
    or pass) is what is reported."""
    checks = _object_checks()
    docs = resources(_plane(*document), path="cp.yaml")
    assert _shape(evaluate(docs, checks)) == _shape(_alone(monkeypatch, docs, checks))
