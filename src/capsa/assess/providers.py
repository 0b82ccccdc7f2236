"""Whether the assessed clusters run on the provider the built-in model describes.

The built-in model is Cluster API on AWS: its attack steps go through the instance
metadata service, EC2, Secrets Manager and ELB. Manifests of clusters on Azure, vSphere
or Docker still get their findings, but those steps say nothing of them; an assessment
that does not say so reads as if they had been checked. The infrastructure a cluster runs
on is the kind of its infrastructure cluster (`spec.infrastructureRef`, or the one its
ClusterClass gives)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from capsa.capi.clusters import ClusterView
from capsa.display import listed
from capsa.kube import dig
from capsa.sources.clusterctl_vars import looks_unresolved

AWS_MODEL = "builtin:capi-aws"
AWS_KINDS = ("AWS", "ROSA")
"""How CAPA's infrastructure kinds begin (AWSCluster, AWSManagedCluster, ROSACluster)."""


def infrastructure_kind(view: ClusterView) -> str | None:
    """The kind of infrastructure a cluster names; None when it names none or the kind is
    an unresolved variable (then any provider may be meant)."""
    if view.infrastructure_cluster is not None:
        kind: object = view.infrastructure_cluster.kind
    else:
        kind = dig(view.cluster.body, "spec", "infrastructureRef", "kind")
    if not isinstance(kind, str) or not kind or looks_unresolved(kind):
        return None
    return kind


def provider_note(model: str, clusters: Sequence[ClusterView] | None) -> str | None:
    """What the report must say when clusters run on providers the built-in AWS model
    does not describe, or on infrastructure the manifests do not name; None when the
    model is another or every cluster is on AWS."""
    if model != AWS_MODEL or not clusters:
        return None
    kinds = [infrastructure_kind(view) for view in clusters]
    others = Counter(kind for kind in kinds if kind is not None and not kind.startswith(AWS_KINDS))
    unread = sum(1 for kind in kinds if kind is None)
    if not others and not unread:
        return None
    steps = (
        "the built-in model describes Cluster API on AWS, so its AWS attack steps "
        "(instance metadata, EC2, Secrets Manager, ELB) and the paths through them are "
        "the model's assumptions for "
    )
    advice = "; pass --model with a model of your provider to assess those"
    parts = []
    if others:
        named = listed([f"{kind} ({count})" for kind, count in sorted(others.items())], 4)
        if sum(others.values()) == len(kinds):
            return (
                f"no cluster runs on AWS (infrastructure: {named}): {steps}these clusters{advice}"
            )
        parts.append(
            f"{sum(others.values())} of {len(kinds)} clusters run on other providers ({named})"
        )
    if unread:
        parts.append(
            f"{unread} of {len(kinds)} clusters name no infrastructure the inputs resolve "
            "(a ClusterClass or infrastructureRef not among them, or a kind that waits on a "
            "variable)"
        )
    return f"{'; '.join(parts)}: {steps}them, not read from their manifests{advice}"
