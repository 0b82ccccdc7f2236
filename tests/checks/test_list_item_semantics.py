"""An unresolved value inside one list item leaves the other items to decide a failure
only where that item cannot turn the failure into a pass: a check that passes when some
item complies (`exists()`) is unknown, one every item must pass (`everyItemMustComply`)
still fails. The declaration is checked against the examples: leaving out an item of a
declared check's list never turns a pass into a failure."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from tests.checks.checks_support import all_checks, run
from tests.checks.test_unknown_when_reads import _gkv, _leaves, _outcome

from capsa.checks.engine import _list_item, _Prepared, _unknown_matches

CP = """\
apiVersion: controlplane.cluster.x-k8s.io/v1beta1
kind: KubeadmControlPlane
metadata: {name: cp, namespace: ns}
spec:
  kubeadmConfigSpec:
"""


def test_an_unresolved_item_of_an_exists_check_is_unknown_and_names_its_variable() -> None:
    """CAPSA-TAINT-001 passes when some taint is the control-plane NoSchedule one: the
    unresolved taint may be it, though the known one is not."""
    text = CP + (
        "    joinConfiguration:\n"
        "      nodeRegistration:\n"
        "        taints:\n"
        "        - {key: example.com/dedicated, effect: NoExecute}\n"
        "        - {key: __CAPSA_UNRESOLVED_CP_TAINT__, effect: NoSchedule}\n"
    )
    where = ("spec", "kubeadmConfigSpec", "joinConfiguration", "nodeRegistration", "taints")
    result = run("CAPSA-TAINT-001", text, unknown=[(*where, 1, "key")])
    assert not result.findings and not result.passes
    (unknown,) = result.unknown
    assert unknown.reason is not None
    assert "${CP_TAINT}" in unknown.reason and "--var CP_TAINT=..." in unknown.reason


def test_an_unresolved_item_of_a_check_every_item_must_pass_still_fails() -> None:
    """CAPSA-SSH-005 fails on any user with NOPASSWD sudo: what the unresolved user holds
    cannot undo the known one's."""
    assert all_checks()["CAPSA-SSH-005"].every_item_must_comply
    text = CP + (
        "    users:\n"
        "    - {name: ops, sudo: 'ALL=(ALL) NOPASSWD:ALL'}\n"
        "    - {name: dev, sudo: __CAPSA_UNRESOLVED_DEV_SUDO__}\n"
    )
    result = run("CAPSA-SSH-005", text, unknown=[("spec", "kubeadmConfigSpec", "users", 1, "sudo")])
    assert [f.check_id for f in result.findings] == ["CAPSA-SSH-005"]
    assert not result.unknown


def test_leaving_out_the_only_item_of_a_list_decides_nothing() -> None:
    """An empty list may fail for being empty (CAPSA-NET-004 wants blocks and none open),
    which the unresolved item would fill."""
    text = """\
apiVersion: infrastructure.cluster.x-k8s.io/v1beta2
kind: AWSCluster
metadata: {name: c, namespace: ns}
spec:
  network:
    nodePortIngressRuleCidrBlocks: [__CAPSA_UNRESOLVED_NODEPORT_CIDR__]
"""
    where = ("spec", "network", "nodePortIngressRuleCidrBlocks", 0)
    assert not run("CAPSA-NET-004", text, unknown=[where]).findings
    open_too = text.replace("[__", "['0.0.0.0/0', __")
    shifted = (*where[:-1], 1)
    assert run("CAPSA-NET-004", open_too, unknown=[shifted]).findings


def _flags(name: str, value: str) -> str:
    return CP.replace("v1beta1", "v1beta2") + (
        "    clusterConfiguration:\n"
        "      apiServer:\n"
        f"        extraArgs:\n        - {{name: {name}, value: {value}}}\n"
    )


def test_a_flag_is_left_out_only_when_its_name_is_known_and_unread() -> None:
    """CAPSA-APISRV-001 looks for encryption-provider-config: an unresolved profiling
    value cannot be it (a finding), an unresolved flag name may be (unknown)."""
    where = ("spec", "kubeadmConfigSpec", "clusterConfiguration", "apiServer", "extraArgs", 0)
    value = _flags("profiling", "__CAPSA_UNRESOLVED_PROFILING__")
    assert run("CAPSA-APISRV-001", value, unknown=[(*where, "value")]).findings
    name = _flags("__CAPSA_UNRESOLVED_FLAG__", "/etc/kubernetes/encryption.yaml")
    result = run("CAPSA-APISRV-001", name, unknown=[(*where, "name")])
    assert not result.findings and len(result.unknown) == 1


def _without(document: dict[str, Any], item: tuple[str | int, ...]) -> dict[str, Any] | None:
    out = copy.deepcopy(document)
    node: Any = out
    for step in item[:-1]:
        node = node[step]
    if not isinstance(node, list) or len(node) < 2:
        return None  # a list left empty decides nothing (the engine does not leave it out)
    del node[item[-1]]
    return out


def _declared() -> list[Any]:
    return [
        pytest.param(check.id, id=check.id)
        for check in all_checks().values()
        if check.every_item_must_comply
    ]


def _items_that_make_it_pass(check_id: str) -> list[str]:
    """The items whose leaving out turns a passing example of the check into a failure."""
    check = all_checks()[check_id]
    prepared = _Prepared.of(check)
    found = []
    for label, examples in (("fail", check.examples.fail), ("pass", check.examples.pass_)):
        for index, example in enumerate(examples):
            documents = [dict(d) for d in example.documents]
            if _outcome(check, documents, None) != "pass":
                continue
            for i, document in enumerate(documents):
                if not check.matches(*_gkv(document)):
                    continue
                items = set()
                for leaf in _leaves(document):
                    steps = tuple(map(str, leaf))
                    for pattern, have in _unknown_matches(prepared, [(leaf, steps)]):
                        item = _list_item(pattern, have)
                        if item is not None and isinstance(item[-1], int):
                            items.add(item)
                for item in sorted(items, key=str):
                    changed = _without(document, item)
                    if changed is None:
                        continue
                    after = _outcome(check, [*documents[:i], changed, *documents[i + 1 :]], None)
                    if after == "fail":
                        found.append(f"{label}{index} without {'.'.join(map(str, item))}")
    return found


@pytest.mark.parametrize("check_id", _declared())
def test_no_item_of_a_declared_check_is_what_makes_it_pass(check_id: str) -> None:
    """`everyItemMustComply` is a claim about the expression: check it on every example
    that passes, by leaving out each item the engine would leave out."""
    wrong = _items_that_make_it_pass(check_id)
    assert not wrong, f"{check_id} passes on some item, yet declares everyItemMustComply: {wrong}"


@pytest.mark.parametrize("check_id", ["CAPSA-TAINT-001", "CAPSA-AUDIT-002"])
def test_the_examples_show_an_exists_check_passing_on_an_item(check_id: str) -> None:
    """The test above has teeth: on checks that pass when some item complies, leaving
    out an item of a passing example does turn it into a failure."""
    assert not all_checks()[check_id].every_item_must_comply
    assert _items_that_make_it_pass(check_id)
