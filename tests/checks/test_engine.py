"""The engine: pass / finding / unknown / problem outcomes, locations and fingerprints."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from checks_support import resources
from hypothesis import given, settings
from hypothesis import strategies as st

from capsa.checks import engine
from capsa.checks.engine import evaluate
from capsa.checks.findings import Severity
from capsa.checks.model import Check
from capsa.sources.files import read_manifests

MACHINES = """\
apiVersion: infrastructure.cluster.x-k8s.io/v1beta2
kind: AWSMachineTemplate
metadata:
  name: good
  namespace: ns
spec:
  template:
    spec:
      instanceMetadataOptions:
        httpTokens: required
---
apiVersion: infrastructure.cluster.x-k8s.io/v1beta2
kind: AWSMachineTemplate
metadata:
  name: bad
  namespace: ns
spec:
  template:
    spec:
      instanceMetadataOptions:
        httpTokens: optional
---
apiVersion: infrastructure.cluster.x-k8s.io/v1beta2
kind: AWSMachineTemplate
metadata:
  name: absent
  namespace: ns
spec:
  template:
    spec: {}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: unrelated
"""


def _check(**overrides: object) -> Check:
    data: dict[str, object] = {
        "id": "CAPSA-TEST-001",
        "title": "IMDSv2 required",
        "severity": "high",
        "threats": ["STRIDE-SPOOF-1"],
        "mitigation": "STRIDE-SPOOF-1.M1",
        "match": {
            "kinds": [{"group": "infrastructure.cluster.x-k8s.io", "kind": "AWSMachineTemplate"}]
        },
        "scope": "object",
        "expression": "object.spec.template.spec.instanceMetadataOptions.httpTokens == 'required'",
        "field": "spec.template.spec.instanceMetadataOptions.httpTokens",
        "message": "IMDSv1 is allowed.",
        "remediation": "Set httpTokens: required.",
        "references": ["https://example.invalid/imds"],
        "providers": ["aws"],
    }
    data.update(overrides)
    return Check.model_validate(data)


def test_outcomes_per_resource() -> None:
    result = evaluate(resources(MACHINES), [_check()])
    assert [f.resource.name for f in result.findings] == ["bad"]
    assert [p.resource.name for p in result.passes] == ["good"]
    # a missing field is undecided, not a pass and not a problem
    assert [u.resource.name for u in result.unknown] == ["absent"]
    assert result.problems == []


def test_finding_points_at_the_offending_field_line() -> None:
    finding = evaluate(resources(MACHINES, path="m.yaml"), [_check()]).findings[0]
    assert finding.location.path == "m.yaml"
    assert finding.location.line == 21  # the httpTokens: optional line
    assert finding.severity is Severity.HIGH
    assert finding.threats == ("STRIDE-SPOOF-1",)
    assert finding.resource.namespace == "ns"
    assert not finding.suppressed


def test_finding_on_absent_field_points_at_deepest_present_parent() -> None:
    check = _check(expression="false")
    found = {f.resource.name: f for f in evaluate(resources(MACHINES), [check]).findings}
    assert found["absent"].location.line == 30  # "spec: {}" under template


def test_a_missing_field_points_at_its_parents_key_not_at_an_unrelated_child() -> None:
    """Under a block mapping, the parent's value starts at its first child: a field missing
    under `apiServer:` points at `apiServer:`, never at the sibling written first."""
    text = """\
apiVersion: controlplane.cluster.x-k8s.io/v1beta1
kind: KubeadmControlPlane
metadata: {name: cp, namespace: ns}
spec:
  replicas: 3
  kubeadmConfigSpec:
    clusterConfiguration:
      apiServer:
        timeoutForControlPlane: 20m
      controllerManager:
        extraArgs: {cloud-provider: gce}
"""
    kcp = {"kinds": [{"group": "controlplane.cluster.x-k8s.io", "kind": "KubeadmControlPlane"}]}
    args = "spec.kubeadmConfigSpec.clusterConfiguration.apiServer.extraArgs"
    lines = {}
    for field in (args, f"{args} | spec.kubeadmConfigSpec.clusterConfiguration.apiServer"):
        check = _check(match=kcp, expression="false", field=field)
        lines[field] = evaluate(resources(text), [check]).findings[0].location.line
    # missing under apiServer, and apiServer itself (present, its value a block mapping)
    assert list(lines.values()) == [8, 8]
    check = _check(match=kcp, expression="false", field="spec.remediation.maxRetry")
    assert evaluate(resources(text), [check]).findings[0].location.line == 4  # `spec:`
    check = _check(match=kcp, expression="false", field="spec.replicas")
    assert evaluate(resources(text), [check]).findings[0].location.line == 5  # present


def test_field_alternatives_and_wildcards_pick_the_present_item() -> None:
    text = """\
apiVersion: bootstrap.cluster.x-k8s.io/v1beta1
kind: KubeadmConfigTemplate
metadata: {name: t}
spec:
  template:
    spec:
      users:
        - name: a
        - name: b
          sudo: ALL
"""
    check = _check(
        match={"kinds": [{"group": "bootstrap.cluster.x-k8s.io", "kind": "KubeadmConfigTemplate"}]},
        expression="false",
        field="spec.users.*.sudo | spec.template.spec.users.*.sudo",
    )
    finding = evaluate(resources(text), [check]).findings[0]
    assert finding.location.line == 10


CARRIED = """\
apiVersion: addons.cluster.x-k8s.io/v1beta1
kind: ClusterResourceSet
metadata: {name: crs, namespace: ns}
spec:
  clusterSelector: {matchLabels: {a: b}}
  resources:
  - {kind: ConfigMap, name: addons}
  - {kind: Secret, name: secret-addons}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: addons, namespace: ns}
data:
  deploy.yaml: |
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: csi-controller
      namespace: kube-system
    spec:
      template:
        spec:
          containers:
          - name: attacher
            image: example.invalid/attacher:v1
---
apiVersion: v1
kind: Secret
metadata: {name: secret-addons, namespace: ns}
type: addons.cluster.x-k8s.io/resource-set
stringData:
  daemonset.yaml: |-
    apiVersion: apps/v1
    kind: DaemonSet
    metadata:
      name: csi-node
      namespace: kube-system
    spec:
      template:
        spec:
          containers:
          - name: driver
            image: example.invalid/driver:v1
"""


def _image_check() -> Check:
    return _check(
        match={"kinds": [{"group": "apps", "kind": k} for k in ("Deployment", "DaemonSet")]},
        expression="false",
        field="spec.template.spec.containers.*.image",
    )


def _lines(result: Any, text: str) -> dict[str, tuple[int | None, str]]:
    """Each finding's line and what the carrier file holds there."""
    rows = text.splitlines()
    return {
        f.resource.name: (f.location.line, rows[f.location.line - 1].strip())
        for f in result.findings
        if f.location.line is not None
    }


def test_embedded_resource_points_at_its_field_in_the_carrier_file(tmp_path: Path) -> None:
    """A payload written as a literal block maps line by line onto the carrier file: a
    finding on a field deep in a carried object points at that field's own line (ConfigMap
    `data` and Secret `stringData` alike), not at the payload key."""
    path = tmp_path / "crs.yaml"
    path.write_text(CARRIED)
    result = evaluate(read_manifests([str(path)]).resources, [_image_check()])
    assert _lines(result, CARRIED) == {
        "csi-controller": (25, "image: example.invalid/attacher:v1"),
        "csi-node": (43, "image: example.invalid/driver:v1"),
    }
    carriers = {f.resource.name: f.location.carrier for f in result.findings}
    assert carriers == {
        "csi-controller": "ConfigMap/ns/addons:deploy.yaml",
        "csi-node": "Secret/ns/secret-addons:daemonset.yaml",
    }


def test_a_payload_without_line_mapping_points_at_its_key(tmp_path: Path) -> None:
    """A base64 Secret `data` value (and any payload not written as a literal block) has no
    line of its own per field: the finding points at the payload key's line."""
    import base64

    payload = CARRIED.split("stringData:\n  daemonset.yaml: |-\n")[1]
    encoded = base64.b64encode(
        "\n".join(line[4:] for line in payload.splitlines()).encode()
    ).decode()
    text = CARRIED.split("stringData:")[0] + f"data:\n  daemonset.yaml: {encoded}\n"
    path = tmp_path / "crs.yaml"
    path.write_text(text)
    result = evaluate(read_manifests([str(path)]).resources, [_image_check()])
    assert _lines(result, text)["csi-node"] == (32, f"daemonset.yaml: {encoded}")


def test_fingerprint_is_stable_across_order_and_lines() -> None:
    first = evaluate(resources(MACHINES), [_check()]).findings[0]
    shifted = "# a comment\n\n" + MACHINES.split("---\n")[1]
    second = evaluate(resources(shifted), [_check()]).findings[0]
    assert first.location.line != second.location.line
    assert first.fingerprint == second.fingerprint
    other = evaluate(resources(MACHINES), [_check(id="CAPSA-TEST-002")]).findings[0]
    assert other.fingerprint != first.fingerprint


def test_unknown_when_beats_pass() -> None:
    check = _check(unknownWhen=["spec.template.spec.instanceMetadataOptions.httpTokens"])
    unknown = [("spec", "template", "spec", "instanceMetadataOptions", "httpTokens")]
    result = evaluate(resources(MACHINES, unknown=unknown), [check])
    assert result.passes == [] and result.findings == []
    assert len(result.unknown) == 3


def test_unknown_when_matches_wildcards_and_parents() -> None:
    check = _check(unknownWhen=["spec.template.spec.users.*.sudo"], everyItemMustComply=True)
    result = evaluate(
        resources(MACHINES, unknown=[("spec", "template", "spec", "users", 0)]), [check]
    )
    # the unresolved value sits in one users[] item of a check every item must pass:
    # the object that fails with that item as read and without it is a finding; the
    # other two stay unknown
    assert len(result.unknown) == 2 and len(result.findings) == 1
    unrelated = evaluate(resources(MACHINES, unknown=[("metadata", "name")]), [check])
    assert len(unrelated.unknown) == 1  # only the missing-field one


def test_runtime_errors_are_problems_once_per_check_and_file() -> None:
    check = _check(expression="object.metadata.name + 1 == 2")
    result = evaluate(resources(MACHINES), [check])
    assert len(result.problems) == 1
    assert "CAPSA-TEST-001" in result.problems[0].message
    assert result.findings == [] and result.passes == []


def test_non_boolean_result_is_a_problem() -> None:
    result = evaluate(resources(MACHINES), [_check(expression="object.metadata.name")])
    assert len(result.problems) == 1 and "instead of true/false" in result.problems[0].message


def _v1beta1_machine_templates() -> Check:
    """The default check, matching v1beta1 AWSMachineTemplates only."""
    only = {"group": "infrastructure.cluster.x-k8s.io", "kind": "AWSMachineTemplate"}
    return _check(match={"kinds": [{**only, "versions": ["v1beta1"]}]})


def test_versions_limit_matching() -> None:
    check = _v1beta1_machine_templates()
    result = evaluate(resources(MACHINES), [check])
    assert not (result.findings or result.passes or result.unknown)


def test_topology_checks_need_a_context() -> None:
    check = _check(scope="topology", expression="context.role == 'worker'")
    assert not evaluate(resources(MACHINES), [check]).findings
    seen = []

    def context_for(resource: object) -> dict[str, str]:
        seen.append(resource)
        return {"role": "control-plane"}

    result = evaluate(resources(MACHINES), [check], context_for)
    assert len(result.findings) == 3 and len(seen) == 3


def test_one_run_matches_each_version_of_a_kind_on_its_own() -> None:
    """The checks matched per (group, kind, version) are kept for the run: a v1beta1
    object must not be handed the list worked out for a v1beta2 one, nor the reverse."""
    check = _v1beta1_machine_templates()
    older = MACHINES.replace("/v1beta2", "/v1beta1", 1)  # only the first object
    result = evaluate(resources(MACHINES + "---\n" + older), [check])
    assert [p.resource.name for p in result.passes] == ["good"]
    assert len(result.passes) + len(result.findings) + len(result.unknown) == 1


def test_an_unresolved_list_index_matches_a_declared_step_by_its_text() -> None:
    """A declared `users.0` and an unresolved `users[0]` are the same place; `users[1]`
    is another."""
    check = _check(unknownWhen=["spec.template.spec.users.0.sudo"])
    first = [("spec", "template", "spec", "users", 0)]
    hit = evaluate(resources(MACHINES, unknown=first), [check])
    assert len(hit.unknown) == 3 and not hit.passes and not hit.findings
    second = [("spec", "template", "spec", "users", 1)]
    other = evaluate(resources(MACHINES, unknown=second), [check])
    assert len(other.passes) == 1 and len(other.findings) == 1


def test_an_item_is_left_out_only_when_the_object_fails_as_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Failing with the unresolved item as read is tried first: an object that passes as
    read is unknown at once (no copy without the item is made); one that fails is
    tried again without it."""
    copies: list[Any] = []
    real = engine._copy_tree

    def counting(document: Any) -> Any:
        copies.append(document)
        return real(document)

    monkeypatch.setattr(engine, "_copy_tree", counting)
    check = _check(unknownWhen=["spec.template.spec.users.*.sudo"], everyItemMustComply=True)
    unknown = [("spec", "template", "spec", "users", 0)]
    result = evaluate(resources(MACHINES, unknown=unknown), [check])
    # good passes as read, absent has no field (an error): neither is copied
    assert [f.resource.name for f in result.findings] == ["bad"]
    assert len(copies) == 1 and copies[0]["metadata"]["name"] == "bad"


def test_topology_checks_are_handed_only_the_context_fields_they_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """CEL converts what it is handed: a check reading `context.role` gets that field
    alone, while one that uses `context` whole (here `size(context)`) gets all of it."""
    role_only = _check(scope="topology", expression="context.role == 'worker'")
    whole = _check(id="CAPSA-TEST-002", scope="topology", expression="size(context) == 2")
    handed: list[Mapping[str, Any]] = []
    real = engine._narrowed

    def recording(context: Mapping[str, Any], fields: frozenset[str] | None) -> Mapping[str, Any]:
        handed.append(real(context, fields))
        return handed[-1]

    def context_for(resource: object) -> dict[str, Any]:
        return {"role": "worker", "controlPlane": {"spec": {}}}

    monkeypatch.setattr(engine, "_narrowed", recording)
    alone = evaluate(resources(MACHINES), [role_only], context_for)
    assert len(alone.passes) == 3
    assert handed and all(dict(h) == {"role": "worker"} for h in handed)
    handed.clear()
    both = evaluate(resources(MACHINES), [role_only, whole], context_for)
    assert len(both.passes) == 6  # size(context) == 2: it saw the whole context
    assert handed and all(len(h) == 2 for h in handed)


def test_a_field_without_items_is_its_own_one_path_and_a_star_expands() -> None:
    body = {"spec": {"users": [{"name": "a"}, {"name": "b"}]}}
    assert engine._expand(body, ("spec", "missing", "x")) == [("spec", "missing", "x")]
    assert engine._expand(body, ("spec", "users", "*", "name")) == [
        ("spec", "users", 0, "name"),
        ("spec", "users", 1, "name"),
    ]
    assert engine._expand(body, ("spec", "none", "*")) == [("spec", "none")]


_STEP = st.sampled_from(["spec", "files", "users", "*", "0", "1", 0, 1, "content"])


def _overlaps(pattern: tuple[str | int, ...], path: tuple[str | int, ...]) -> bool:
    """The rule, said plainly: one path contains the other, `*` standing for any step,
    a list index and a key with the same text being the same step."""
    pairs = zip(pattern, path, strict=False)  # the shorter decides: containment
    return all(want == "*" or str(want) == str(have) for want, have in pairs)


@settings(max_examples=150, deadline=None)
@given(
    patterns=st.lists(st.lists(_STEP, max_size=4).map(tuple), min_size=1, max_size=3),
    paths=st.sets(st.lists(_STEP.filter(lambda s: s != "*"), max_size=4).map(tuple), max_size=4),
)
def test_unknown_when_pairs_follow_the_rule(
    patterns: list[tuple[str | int, ...]], paths: set[tuple[str | int, ...]]
) -> None:
    check = _check(unknownWhen=[".".join(str(s) for s in p) or "spec" for p in patterns])
    prepared = engine._Prepared.of(check)
    resource = resources(MACHINES, unknown=sorted(paths, key=str))[0]
    found = engine._unknown_matches(prepared, engine._unresolved(resource))
    expected = [
        (pattern, path)
        for pattern in prepared.unknown_paths
        for path in resource.unknown_paths
        if _overlaps(pattern, path)
    ]
    assert found == expected


def test_each_unknown_names_the_variables_of_its_own_paths(tmp_path: Path) -> None:
    """The reason is said once per set of unresolved paths and shared by the checks
    those paths leave unknown; a check left unknown by other paths gets its own."""
    path = tmp_path / "m.yaml"
    path.write_text(
        MACHINES.split("---")[0]
        .replace("httpTokens: required", "httpTokens: ${TOKENS}")
        .replace("    spec:\n", "    spec:\n      sshKeyName: ${KEY}\n", 1)
    )
    tokens = _check(unknownWhen=["spec.template.spec.instanceMetadataOptions.httpTokens"])
    same = _check(id="CAPSA-TEST-002", unknownWhen=tokens.unknown_when)
    key = _check(id="CAPSA-TEST-003", unknownWhen=["spec.template.spec.sshKeyName"])
    result = evaluate(read_manifests([str(path)]).resources, [tokens, same, key])
    reasons = {u.check_id: u.reason for u in result.unknown}
    assert reasons["CAPSA-TEST-001"] == reasons["CAPSA-TEST-002"]
    assert "--var TOKENS=..." in (reasons["CAPSA-TEST-001"] or "")
    assert reasons["CAPSA-TEST-003"] == "unresolved ${KEY}: set --var KEY=..."


def test_the_copy_edited_for_a_probe_leaves_the_document_as_read() -> None:
    document = {"spec": {"files": [{"content": "a"}, {"content": "b"}]}, "n": 1}
    copied = engine._copy_tree(document)
    del copied["spec"]["files"][0]
    copied["spec"]["new"] = True
    assert document == {"spec": {"files": [{"content": "a"}, {"content": "b"}]}, "n": 1}


def test_a_check_is_prepared_once_and_an_equal_new_one_gets_its_own() -> None:
    first = _check()
    assert engine._prepared(first) is engine._prepared(first)
    twin = _check()  # equal, another object: its entry must hold it, not `first`
    assert engine._prepared(twin).check is twin
    message = _check(message="Another message.")
    assert engine._prepared(message).message == "Another message."
    docs = resources(MACHINES)
    assert [f.message for f in evaluate(docs, [message]).findings] == ["Another message."]
    assert [f.message for f in evaluate(docs, [first]).findings] == ["IMDSv1 is allowed."]
