"""Checks over bootstrap data left in the account and over who can delete the API load
balancer: they join several kinds of facts (secrets with instances, load balancers with
every principal's policies), which CEL over one fact cannot."""

from __future__ import annotations

from collections.abc import Iterator

from capsa.cloud import capa
from capsa.cloud.iam import missing_policies
from capsa.cloud.registry import CloudInput, Outcome, absent, cloud_check
from capsa.display import listed
from capsa.sources.aws.facts import API_SERVER_ROLE, Secret, Where, cluster_of, role_of

_LIVE = ("pending", "running", "stopping", "stopped")


def _kind(secret: Secret) -> str:
    return "SecretsManagerSecret" if secret.store == "secretsmanager" else "SSMParameter"


def _where(inp: CloudInput, secret: Secret) -> Where:
    return Where(path=f"aws://{inp.facts.account or 'unknown'}/{secret.region}")


@cloud_check("CAPSA-AWS-010")
def lingering_bootstrap_data(inp: CloudInput) -> Iterator[Outcome]:
    facts = inp.facts
    instances = {
        (cluster_of(i.tags), i.tags.get("Name")): i for i in facts.instances if i.state in _LIVE
    }
    capa_secrets = [s for s in facts.secrets if not s.deletion_scheduled]
    for secret in capa_secrets:
        kind, where = _kind(secret), _where(inp, secret)
        if secret.tags is None:
            yield Outcome(
                "unknown", kind, secret.arn, "undecided: its tags could not be read", where
            )
            continue
        cluster, name = cluster_of(secret.tags), secret.tags.get("Name")
        if cluster is None or name is None:
            text = "undecided: no CAPA cluster and Name tags to find its machine by"
            yield Outcome("unknown", kind, secret.arn, text, where)
            continue
        instance = instances.get((cluster, name))
        if instance is None:
            text = f"No live instance {name} of cluster {cluster} is left to fetch and delete it."
            yield Outcome("fail", kind, secret.arn, text, where)
            continue
        read_at, launched = facts.read_at, instance.launch_time
        if read_at is None or launched is None:
            yield Outcome("unknown", kind, secret.arn, "undecided: no launch or read time", where)
        elif read_at - launched > inp.options.bootstrap_grace:
            minutes = int((read_at - launched).total_seconds() // 60)
            text = (
                f"Instance {instance.id} ({name}) launched {minutes} min before the read and "
                "has not deleted it: its boot failed or it never joined."
            )
            yield Outcome("fail", kind, secret.arn, text, where)
        else:
            yield Outcome("pass", kind, secret.arn, f"{instance.id} is still booting", where)
    if capa_secrets:
        return
    if any(cluster_of(i.tags) for i in facts.instances):
        arn = f"arn:aws:iam::{facts.account or 'unknown'}:root"
        regions = ", ".join(facts.regions) or "the regions read"
        yield Outcome("pass", "AWSAccount", arn, f"no bootstrap data left in {regions}")
    else:  # no cluster here: no bootstrap data to outlive a boot
        yield absent(facts, "CAPA-tagged instance and no bootstrap secret or parameter")


@cloud_check("CAPSA-AWS-011")
def who_can_delete_the_api_load_balancer(inp: CloudInput) -> Iterator[Outcome]:
    facts = inp.facts
    principals = (*facts.roles, *facts.users)
    judged = False
    for lb in facts.load_balancers:
        # CAPA's API load balancer only: a Service's load balancer the cloud provider
        # made for the cluster is not this check's subject
        if cluster_of(lb.tags) is None or role_of(lb.tags) != API_SERVER_ROLE:
            continue
        judged = True
        others = [p.arn for p in capa.load_balancer_deleters(facts, lb)]
        where = Where(path=f"aws://{facts.account or 'unknown'}/{lb.region}")
        if others:
            yield Outcome(
                "fail",
                "LoadBalancer",
                lb.arn,
                f"Besides the controllers: {listed(others, 4)}.",
                where,
            )
        elif unread := [p.arn for p in principals if missing_policies(p, facts)]:
            text = f"undecided: the policies of {', '.join(unread[:3])} were not all read"
            yield Outcome("unknown", "LoadBalancer", lb.arn, text, where)
        else:
            yield Outcome(
                "pass", "LoadBalancer", lb.arn, "only the controllers may delete it", where
            )
    if not judged:
        yield absent(facts, "CAPA-tagged API load balancer")
