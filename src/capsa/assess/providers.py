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

AWS_MODEL = "builtin:capi-aws"
AWS_KINDS = ("AWS", "ROSA")
"""How CAPA's infrastructure kinds begin (AWSCluster, AWSManagedCluster, ROSACluster)."""


def infrastructure_kind(view: ClusterView) -> str | None:
    """The kind of infrastructure a cluster names, None when it names none."""
    if view.infrastructure_cluster is not None:
        return view.infrastructure_cluster.kind
    kind = dig(view.cluster.body, "spec", "infrastructureRef", "kind")
    return kind if isinstance(kind, str) and kind else None


def provider_note(model: str, clusters: Sequence[ClusterView] | None) -> str | None:
    """What the report must say when clusters run on providers the built-in AWS model
    does not describe; None when the model is another or every cluster is on AWS."""
    if model != AWS_MODEL or not clusters:
        return None
    kinds = [kind for kind in map(infrastructure_kind, clusters) if kind is not None]
    others = Counter(kind for kind in kinds if not kind.startswith(AWS_KINDS))
    if not others:
        return None
    named = listed([f"{kind} ({count})" for kind, count in sorted(others.items())], 4)
    steps = (
        "the built-in model describes Cluster API on AWS, so its AWS attack steps "
        "(instance metadata, EC2, Secrets Manager, ELB) and the paths through them are "
        "the model's assumptions for "
    )
    advice = "; pass --model with a model of your provider to assess those"
    if sum(others.values()) == len(kinds):
        return f"no cluster runs on AWS (infrastructure: {named}): {steps}these clusters{advice}"
    total = sum(others.values())
    return (
        f"{total} of {len(kinds)} clusters run on other providers ({named}): {steps}"
        f"them, not read from their manifests{advice}"
    )
