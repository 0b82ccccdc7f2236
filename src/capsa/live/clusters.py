"""Per-cluster evidence: connectivity probe, CA age, and static cloud credentials.

Secrets are known by metadata only, so CA age comes from the `<cluster>-ca` Secret's
creationTimestamp; whether two clusters share a CA certificate cannot be told without the
certificate bytes and is reported as not assessable by `capsa.live.analyse`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from capsa.checks.findings import Finding
from capsa.live.finding import finding
from capsa.live.index import PROVIDER_LABEL, LiveIndex, created, dig, labels
from capsa.live.registry import LiveInput, live_check
from capsa.sources.resource import Resource

PROBE = "RemoteConnectionProbe"
DEFAULT_CA_VALIDITY = timedelta(days=3650)
EXPIRY_WARNING = timedelta(days=90)


def _conditions(cluster: Resource) -> list[dict[str, Any]]:
    """v1beta2 conditions, wherever the served version keeps them."""
    out: list[dict[str, Any]] = []
    for path in (("status", "conditions"), ("status", "v1beta2", "conditions")):
        out.extend(c for c in dig(cluster.body, *path) or [] if isinstance(c, dict))
    return out


@live_check("CAPSA-LIVE-008")
def probe_failures(live: LiveInput) -> list[Finding]:
    """Clusters whose RemoteConnectionProbe condition is False."""
    findings: list[Finding] = []
    for cluster in live.index.kind("Cluster"):
        for cond in _conditions(cluster):
            if cond.get("type") == PROBE and str(cond.get("status")) == "False":
                since = cond.get("lastTransitionTime") or "an unknown time"
                detail = cond.get("message") or cond.get("reason") or ""
                message = (
                    f"The management cluster has lost its connection to this workload cluster "
                    f"since {since}. {detail}".strip()
                )
                findings.append(finding("CAPSA-LIVE-008", cluster, message))
                break
    return findings


def _ca_validity(index: LiveIndex, cluster: Resource) -> timedelta | None:
    """caCertificateValidityPeriodDays of the cluster's KubeadmControlPlane, else the
    10-year default (util/secret/certificates.go); None when the Cluster names a
    KubeadmControlPlane that is not there to say."""
    ref = dig(cluster.body, "spec", "controlPlaneRef") or {}
    if not isinstance(ref, dict) or ref.get("kind") != "KubeadmControlPlane":
        return DEFAULT_CA_VALIDITY
    kcp = index.get("KubeadmControlPlane", cluster.namespace, str(ref.get("name", "")))
    if kcp is None:
        return None
    days = dig(
        kcp.body,
        "spec",
        "kubeadmConfigSpec",
        "clusterConfiguration",
        "caCertificateValidityPeriodDays",
    )
    return timedelta(days=days) if isinstance(days, int) and days > 0 else DEFAULT_CA_VALIDITY


@live_check("CAPSA-LIVE-009")
def ca_age(live: LiveInput) -> list[Finding]:
    """A cluster CA in use longer than `LiveOptions.max_ca_age`, or close to expiry. A
    Cluster without a `<cluster>-ca` Secret (not yet provisioned, or a control plane that
    keeps its CA elsewhere) is undecided, never a pass."""
    index, now, max_age = live.index, live.now, live.options.max_ca_age
    findings: list[Finding] = []
    judged = 0
    for cluster in index.kind("Cluster"):
        where = f"{cluster.namespace}/{cluster.name}"
        secret = index.get("Secret", cluster.namespace, f"{cluster.name}-ca")
        born = created(secret) if secret else None
        if secret is None or born is None:
            missing = "no creation time" if secret else f"no Secret {cluster.name}-ca"
            live.undecided(
                "CAPSA-LIVE-009", f"Cluster {where} has {missing}: its CA age is unknown"
            )
            continue
        validity = _ca_validity(index, cluster)
        if validity is None:
            live.undecided(
                "CAPSA-LIVE-009",
                f"Cluster {where} names a KubeadmControlPlane that was not found: its CA "
                "validity (caCertificateValidityPeriodDays) is unknown",
            )
            continue
        judged += 1
        age = now - born
        left = validity - age
        if age <= max_age and left > EXPIRY_WARNING:
            continue
        message = (
            f"CA Secret {secret.name} was created {age.days} days ago; with a validity of "
            f"{validity.days} days the CA expires in about {left.days} days. "
            "Its private key has been on every control-plane node since creation."
        )
        findings.append(finding("CAPSA-LIVE-009", cluster, message))
    if index.kind("Cluster"):
        live.judged("CAPSA-LIVE-009", judged, "Cluster(s) with a CA Secret")
    return findings


def _capa_namespaces(index: LiveIndex) -> list[str]:
    found = [
        d.namespace
        for d in index.provider_deployments()
        if d.namespace and labels(d).get(PROVIDER_LABEL) == "infrastructure-aws"
    ]
    return found or sorted(index.provider_namespaces())


@live_check("CAPSA-LIVE-010")
def static_identities(live: LiveInput) -> list[Finding]:
    """AWSClusterStaticIdentities referenced by AWSClusters, with key age."""
    index, now = live.index, live.now
    users: dict[str, list[str]] = {}
    for aws in index.kind("AWSCluster"):
        ref = dig(aws.body, "spec", "identityRef") or {}
        if ref.get("kind") == "AWSClusterStaticIdentity":
            users.setdefault(str(ref.get("name", "")), []).append(f"{aws.namespace}/{aws.name}")
    findings: list[Finding] = []
    for identity in index.kind("AWSClusterStaticIdentity"):
        if identity.name not in users:
            continue
        secret_name = str(dig(identity.body, "spec", "secretRef") or "")
        secret = next(
            (s for ns in _capa_namespaces(index) if (s := index.get("Secret", ns, secret_name))),
            None,
        )
        born = created(secret) if secret else None
        if secret is None:
            age = f"its Secret {secret_name!r} was not found in the controller namespace"
        elif born is None:
            age = f"its Secret {secret.namespace}/{secret.name} has no creation time"
        else:
            age = f"its Secret {secret.namespace}/{secret.name} is {(now - born).days} days old"
        message = (
            f"AWSClusters {', '.join(sorted(users[identity.name]))} use long-lived access keys "
            f"from static identity {identity.name}; {age}."
        )
        findings.append(finding("CAPSA-LIVE-010", identity, message))
    return findings
