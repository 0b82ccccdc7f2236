"""Controller evidence: what the Cluster API controllers actually run, and how steadily.

Images referenced by tag can change under the same name; restarts and a running version
that differs from clusterctl's inventory are the runtime signals the assessment asks to
alert on for tampering.
"""

from __future__ import annotations

from capsa.checks.findings import Finding
from capsa.live.finding import finding
from capsa.live.index import PROVIDER_LABEL, containers, dig, labels
from capsa.live.registry import LiveInput, live_check
from capsa.sources.controllers import manager_containers


def out_of_scope(live: LiveInput, check_id: str, what: str) -> None:
    """With --namespace, controllers in other namespaces were not read: `check_id` judged
    only those in the scope, so it is unknown for the rest."""
    if live.scope:
        live.undecided(
            check_id,
            f"{what} were read only in {live.scope_text} (--namespace): Cluster API "
            "controllers in other namespaces were not judged",
        )


def image_tag(image: str) -> str | None:
    """The tag of an image reference (registry:port/name:tag@digest), None when untagged."""
    name = image.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else None


@live_check("CAPSA-LIVE-005")
def unpinned_images(live: LiveInput) -> list[Finding]:
    """Provider Deployment containers whose image has no @sha256 digest."""
    findings: list[Finding] = []
    deployments = list(live.index.provider_deployments())
    live.judged("CAPSA-LIVE-005", len(deployments), "Cluster API controller Deployment(s)")
    out_of_scope(live, "CAPSA-LIVE-005", "Deployments")
    for dep in deployments:
        for container in containers(dig(dep.body, "spec", "template", "spec")):
            image = str(container.get("image", ""))
            if "@sha256:" in image:
                continue
            message = (
                f"Container {container.get('name')} runs {image!r}, a tag: whoever can push to "
                "that repository decides what this controller runs on its next restart."
            )
            findings.append(finding("CAPSA-LIVE-005", dep, message, str(container.get("name"))))
    return findings


@live_check("CAPSA-LIVE-006")
def restarted_containers(live: LiveInput) -> list[Finding]:
    """Containers of Pods in provider namespaces with restartCount > 0."""
    index = live.index
    namespaces = index.provider_namespaces()
    pods = [pod for pod in index.kind("Pod") if pod.namespace in namespaces]
    live.judged("CAPSA-LIVE-006", len(pods), "Pod(s) of Cluster API controllers")
    out_of_scope(live, "CAPSA-LIVE-006", "Pods")
    findings: list[Finding] = []
    for pod in pods:
        statuses = [
            *(dig(pod.body, "status", "initContainerStatuses") or []),
            *(dig(pod.body, "status", "containerStatuses") or []),
        ]
        for status in statuses:
            count = status.get("restartCount") if isinstance(status, dict) else None
            if not isinstance(count, int) or count <= 0:
                continue
            reason = dig(status, "lastState", "terminated", "reason")
            why = f" (last exit: {reason})" if reason else ""
            message = f"Container {status.get('name')} has restarted {count} time(s){why}."
            findings.append(finding("CAPSA-LIVE-006", pod, message, str(status.get("name"))))
    return findings


@live_check("CAPSA-LIVE-007")
def version_drift(live: LiveInput) -> list[Finding]:
    """A provider's manager image tag differs from its Provider version (sidecars such as
    kube-rbac-proxy have versions of their own)."""
    index = live.index
    findings: list[Finding] = []
    for provider in index.kind("Provider"):
        if provider.group != "clusterctl.cluster.x-k8s.io":
            continue
        version = provider.body.get("version")
        if not isinstance(version, str) or not version:
            continue
        for dep in index.kind("Deployment"):
            if (
                dep.namespace != provider.namespace
                or labels(dep).get(PROVIDER_LABEL) != provider.name
                or not index.is_controller(dep)
            ):
                continue
            chosen = manager_containers(dep)
            if not chosen:
                live.undecided(
                    "CAPSA-LIVE-007",
                    f"{dep.namespace}/{dep.name}: no container runs an upstream manager image "
                    "and none is named manager, so which one runs the controller is not known",
                )
            for container in chosen:
                tag = image_tag(str(container.get("image", "")))
                if tag is None or tag == version:
                    continue
                message = (
                    f"clusterctl records {provider.name} at {version}, but Deployment {dep.name} "
                    f"container {container.get('name')} runs tag {tag}: the controller was changed "
                    "outside clusterctl."
                )
                findings.append(
                    finding(
                        "CAPSA-LIVE-007", provider, message, f"{dep.name}/{container.get('name')}"
                    )
                )
    return findings
