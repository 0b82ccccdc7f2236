"""Helpers for the check tests: turn small YAML texts into Resources and run checks."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache

from capsa.checks.catalog import load_checks
from capsa.checks.engine import EvaluationResult, evaluate
from capsa.checks.model import Check
from capsa.sources.resource import Origin, Resource
from capsa.yamlio import load_all_with_lines


def resources(
    text: str,
    path: str = "fixture.yaml",
    unknown: Iterable[tuple[str | int, ...]] = (),
    carrier: str | None = None,
) -> list[Resource]:
    """Every Kubernetes-looking document of `text` as a Resource read from `path`."""
    out: list[Resource] = []
    for line, doc in load_all_with_lines(text):
        if not isinstance(doc, dict) or not isinstance(doc.get("kind"), str):
            continue
        meta = doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}
        out.append(
            Resource(
                api_version=str(doc.get("apiVersion", "")),
                kind=doc["kind"],
                namespace=meta.get("namespace"),
                name=str(meta.get("name", "")),
                body=doc,
                origin=Origin(path=path, line=line, carrier=carrier),
                unknown_paths=frozenset(unknown),
            )
        )
    return out


@cache
def all_checks() -> dict[str, Check]:
    return {c.id: c for c in load_checks()}


def run(check_id: str, text: str, **kwargs: object) -> EvaluationResult:
    """Evaluate one shipped check over the resources of `text`, with the context the
    topology gives (so topology-scope checks run as in `capsa scan`)."""
    from capsa.capi.topology import build_topology

    found = resources(text, **kwargs)  # type: ignore[arg-type]
    topology = build_topology(found)
    return evaluate(found, [all_checks()[check_id]], topology.context_for)


def outcome(check_id: str, text: str, **kwargs: object) -> str:
    """fail | pass | unknown | n/a | none for one check over a one-object text ("n/a":
    what the check looks at is absent, which is never a pass)."""
    result = run(check_id, text, **kwargs)
    assert not result.problems, result.problems
    if result.findings:
        return "fail"
    if result.unknown:
        return "unknown"
    if result.passes:
        return "pass"
    if result.not_applicable:
        return "n/a"
    return "none"


AWS = "infrastructure.cluster.x-k8s.io/v1beta2"


def aws_machine(kind: str, body: str) -> str:
    """A CAPA machine object of `kind` whose machine settings hold the YAML `body`."""
    head = f"apiVersion: {AWS}\nkind: {kind}\nmetadata: {{name: m}}\nspec:\n"
    if kind == "AWSMachineTemplate":
        return head + f"  template:\n    spec:\n      {body}\n"
    if kind == "AWSMachinePool":
        return head + f"  awsLaunchTemplate:\n    {body}\n"
    return head + f"  {body}\n"


def kubeadm(kind: str, api: str, body: str) -> str:
    """A kubeadm-carrying object of `kind` whose kubeadm spec holds the YAML `body`."""
    group = "bootstrap" if kind.startswith("KubeadmConfig") else "controlplane"
    head = (
        f"apiVersion: {group}.cluster.x-k8s.io/{api}\nkind: {kind}\nmetadata: {{name: k}}\nspec:\n"
    )
    depth = {
        "KubeadmConfig": "",
        "KubeadmConfigTemplate": "template:\n    spec:\n",
        "KubeadmControlPlane": "kubeadmConfigSpec:\n",
        "KubeadmControlPlaneTemplate": "template:\n    spec:\n      kubeadmConfigSpec:\n",
    }[kind]
    indent = {
        "KubeadmConfig": "  ",
        "KubeadmConfigTemplate": "      ",
        "KubeadmControlPlane": "    ",
        "KubeadmControlPlaneTemplate": "        ",
    }[kind]
    prefix = f"  {depth}" if depth else ""
    lines = "".join(f"{indent}{line}\n" for line in body.splitlines())
    return head + prefix + lines


KUBEADM_KINDS = [
    "KubeadmConfig",
    "KubeadmConfigTemplate",
    "KubeadmControlPlane",
    "KubeadmControlPlaneTemplate",
]
MACHINES = ["AWSMachine", "AWSMachineTemplate", "AWSMachinePool"]


def api_args(api: str, pairs: dict[str, str], where: str = "apiServer") -> str:
    """clusterConfiguration.<where>.extraArgs in the shape of API generation `api`:
    a map in v1beta1, a list of {name, value} in v1beta2."""
    head = f"clusterConfiguration:\n  {where}:\n    extraArgs:\n"
    if api == "v1beta1":
        return head + "".join(f"      {k}: {v}\n" for k, v in pairs.items())
    return head + "".join(f"    - {{name: {k}, value: {v}}}\n" for k, v in pairs.items())


def kubelet_args(api: str, pairs: dict[str, str], config: str = "joinConfiguration") -> str:
    """<config>.nodeRegistration.kubeletExtraArgs in the shape of API generation `api`."""
    head = f"{config}:\n  nodeRegistration:\n    kubeletExtraArgs:\n"
    if api == "v1beta1":
        return head + "".join(f"      {k}: {v}\n" for k, v in pairs.items())
    return head + "".join(f"    - {{name: {k}, value: {v}}}\n" for k, v in pairs.items())


def kubeadm_control_plane(api: str, flags: Mapping[str, str]) -> str:
    """A KubeadmControlPlane whose API server takes `flags`, written as `api` writes
    extraArgs: a map in v1beta1, a list of {name, value} in v1beta2 (values quoted)."""
    if api == "v1beta1":
        args = [f'          {name}: "{value}"' for name, value in flags.items()]
    else:
        args = [f'          - {{name: {name}, value: "{value}"}}' for name, value in flags.items()]
    return (
        f"apiVersion: controlplane.cluster.x-k8s.io/{api}\nkind: KubeadmControlPlane\n"
        "metadata: {name: cp}\nspec:\n  kubeadmConfigSpec:\n    clusterConfiguration:\n"
        "      apiServer:\n        extraArgs:\n" + "".join(line + "\n" for line in args)
    )
