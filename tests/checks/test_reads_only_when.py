"""`readsOnlyWhen`: an unresolved value in a field a check reads only under a condition
leaves the check decided while the condition is false, and unknown while it holds.

Each entry is a claim by the check's author ("the files are read only for the file the
flag names"); `test_the_claim_holds_on_every_example` gives it evidence: on every inline
example where the condition is false, any value in the guarded fields (the marker, an
empty text, what other examples hold there) leaves the outcome as it was."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import ValidationError
from tests.checks.checks_support import all_checks, kubeadm_control_plane, outcome
from tests.checks.test_unknown_when_reads import _gkv, _leaves, _set
from tests.checks.test_unknown_when_reads import _outcome as outcome_of

from capsa.checks.model import Check
from capsa.yamlio import plain

MARKER = "__CAPSA_UNRESOLVED_PROBE__"
Path_ = tuple[str | int, ...]

KCP_FILES = """\
    files:
      - path: /etc/kubernetes/manifests/kube-vip.yaml
        content: |
          address: ${CONTROL_PLANE_ENDPOINT_IP}
"""


def _kcp(api: str, flags: dict[str, str]) -> str:
    return kubeadm_control_plane(api, flags).replace(
        "  kubeadmConfigSpec:\n", "  kubeadmConfigSpec:\n" + KCP_FILES, 1
    )


CONTENT = ("spec", "kubeadmConfigSpec", "files", 0, "content")


@pytest.mark.parametrize("api", ["v1beta1", "v1beta2"])
def test_a_file_no_flag_names_leaves_pod_security_decided(api: str) -> None:
    text = _kcp(api, {"profiling": "false"})
    assert outcome("CAPSA-PSA-001", text, unknown=[CONTENT]) == "fail"


@pytest.mark.parametrize("api", ["v1beta1", "v1beta2"])
def test_a_file_the_flag_may_name_leaves_pod_security_unknown(api: str) -> None:
    flags = {"admission-control-config-file": "/etc/kubernetes/manifests/kube-vip.yaml"}
    assert outcome("CAPSA-PSA-001", _kcp(api, flags), unknown=[CONTENT]) == "unknown"


@pytest.mark.parametrize("api", ["v1beta1", "v1beta2"])
def test_the_whole_file_list_unresolved_is_guarded_alike(api: str) -> None:
    files = ("spec", "kubeadmConfigSpec", "files")
    assert outcome("CAPSA-PSA-001", _kcp(api, {"profiling": "false"}), unknown=[files]) == "fail"
    flags = {"admission-control-config-file": "/etc/psa.yaml"}
    assert outcome("CAPSA-PSA-001", _kcp(api, flags), unknown=[files]) == "unknown"


AZURE_MACHINES = """\
apiVersion: infrastructure.cluster.x-k8s.io/v1beta1
kind: AzureMachineTemplate
metadata: {name: workers}
spec:
  template:
    spec:
      userAssignedIdentities: IDENTITIES
"""
IDENTITIES = ("spec", "template", "spec", "userAssignedIdentities")


def test_what_an_identity_entry_holds_leaves_the_azure_check_decided() -> None:
    text = AZURE_MACHINES.replace(
        "IDENTITIES", "\n        - providerID: /subscriptions/${AZURE_SUBSCRIPTION_ID}/x"
    )
    assert outcome("CAPSA-AZ-003", text, unknown=[(*IDENTITIES, 0, "providerID")]) == "fail"


def test_the_identity_list_itself_unresolved_stays_unknown() -> None:
    text = AZURE_MACHINES.replace("IDENTITIES", "${IDENTITIES}")
    assert outcome("CAPSA-AZ-003", text, unknown=[IDENTITIES]) == "unknown"


def _check(**changes: Any) -> dict[str, Any]:
    base = all_checks()["CAPSA-AZ-003"].model_dump(by_alias=True, exclude_none=True)
    base.update(changes)
    return base


def test_a_guard_over_no_declared_field_is_refused() -> None:
    with pytest.raises(ValidationError, match="which no unknownWhen path overlaps"):
        Check.model_validate(
            _check(readsOnlyWhen=[{"fields": ["spec.template.spec.osDisk"], "when": "false"}])
        )


def test_a_guard_reading_an_undeclared_variable_is_refused() -> None:
    with pytest.raises(ValidationError, match=r"variables\.nowhere"):
        Check.model_validate(
            _check(
                readsOnlyWhen=[
                    {"fields": ["spec.userAssignedIdentities"], "when": "variables.nowhere"}
                ]
            )
        )


def _under(leaf: Path_, pattern: tuple[str, ...]) -> bool:
    return len(leaf) >= len(pattern) and all(
        want == "*" or want == str(step) for want, step in zip(pattern, leaf, strict=False)
    )


def _guarded_cases() -> Iterator[Any]:
    for check in all_checks().values():
        for label, examples in (("fail", check.examples.fail), ("pass", check.examples.pass_)):
            for index in range(len(examples)):
                if check.reads_only_when:
                    yield pytest.param(check.id, label, index, id=f"{check.id}-{label}{index}")


def _values_found(check: Check, pattern: tuple[str, ...]) -> list[Any]:
    """What the check's examples hold in the guarded fields: the values most likely to
    matter to it (the content of a file a passing example relies on, say)."""
    found: list[Any] = []
    for example in (*check.examples.fail, *check.examples.pass_):
        for document in example.documents:
            found.extend(
                _walk(document, leaf) for leaf in _leaves(document) if _under(leaf, pattern)
            )
    return found[:12]


def _walk(document: Any, path: Path_) -> Any:
    for step in path:
        document = document[step]
    return document


@pytest.mark.parametrize(("check_id", "label", "index"), list(_guarded_cases()))
def test_the_claim_holds_on_every_example(check_id: str, label: str, index: int) -> None:
    from capsa.checks.engine import _Prepared

    check = all_checks()[check_id]
    example = (check.examples.fail if label == "fail" else check.examples.pass_)[index]
    documents = [dict(d) for d in example.documents]
    prepared = _Prepared.of(check)
    before = outcome_of(check, documents, None)
    for i, document in enumerate(documents):
        if not check.matches(*_gkv(document)):
            continue
        for paths, program in prepared.guards:
            if program.evaluate({"object": plain(document)}) is not False:
                continue
            for pattern in paths:
                values = [MARKER, "", *_values_found(check, pattern)]
                for leaf in (leaf for leaf in _leaves(document) if _under(leaf, pattern)):
                    for value in values:
                        changed = [*documents[:i], _set(document, leaf, value), *documents[i + 1 :]]
                        after = outcome_of(check, changed, (i, leaf))
                        assert after == before, f"{leaf} = {value!r}: {before} -> {after}"


FILE_PATH = ("spec", "kubeadmConfigSpec", "files", 0, "path")


@pytest.mark.parametrize("api", ["v1beta1", "v1beta2"])
def test_an_unresolved_file_without_audit_flags_leaves_the_audit_check_decided(api: str) -> None:
    assert outcome("CAPSA-AUDIT-002", _kcp(api, {"profiling": "false"}), unknown=[FILE_PATH]) == (
        "n/a"
    )


@pytest.mark.parametrize("api", ["v1beta1", "v1beta2"])
def test_an_unresolved_file_beside_a_policy_flag_leaves_the_audit_check_unknown(api: str) -> None:
    flags = {"audit-policy-file": "/etc/kubernetes/audit.yaml", "audit-log-path": "-"}
    assert outcome("CAPSA-AUDIT-002", _kcp(api, flags), unknown=[FILE_PATH]) == "unknown"


def test_an_identity_a_patch_adds_unresolved_leaves_the_azure_check_unknown() -> None:
    """A ClusterClass patch capsa cannot run (a Go template) adding an entry leaves the
    list as read without it: the entry's existence, which the count reads, is unknown."""
    text = AZURE_MACHINES.replace("IDENTITIES", "[]")
    assert outcome("CAPSA-AZ-003", text, unknown=[(*IDENTITIES, 0)]) == "unknown"
