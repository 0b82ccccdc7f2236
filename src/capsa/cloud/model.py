"""A cloud check as data: the same fields as a manifest check (id, title, severity,
threats, mitigation, match, expression, message, remediation, references, examples),
where `match` names a kind of cloud fact instead of a Kubernetes kind and the CEL sees
that fact as `object` (and account-wide values as `account`). A check CEL cannot state
sets `function: true` and registers one function under its id (`capsa.cloud.registry`).

Examples are small `CloudFacts` documents in the facts' own shape: the check must fire
on every `fail` one and stay silent on every `pass` one.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from capsa.checks.findings import Severity
from capsa.datafile import Examples
from capsa.frozen import FrozenModel
from capsa.sources.aws.facts import FACT_KINDS, CloudFacts, FactKind

CLOUD_CHECK_ID = r"^CAPSA-AWS-\d{3}$"

Subject = Literal[
    "account", "roles", "instances", "securityGroups", "secrets", "loadBalancers", "quotas"
]


class CloudMatch(FrozenModel):
    """Which facts a check looks at. `clusterOwned` keeps those CAPA tagged for a
    cluster (or, for security groups, attached to such an instance); `roles` keeps those
    whose CAPA role tag is one of them; `states` keeps instances in those states."""

    facts: Subject
    cluster_owned: bool = False
    roles: tuple[str, ...] = ()
    states: tuple[str, ...] = ()


class CloudExample(FrozenModel):
    """Facts a check is tried on. Kinds not listed in `collected` count as read. A
    silent example may say what it `expect`s: a pass, not applicable (nothing to
    judge) or unknown; without it, any outcome but a finding will do."""

    note: str = ""
    expect: Literal["pass", "not-applicable", "unknown"] | None = None
    facts: CloudFacts

    @field_validator("facts", mode="before")
    @classmethod
    def _all_collected(cls, value: object) -> object:
        if isinstance(value, dict) and "collected" not in value:
            return {"source": "example", **value, "collected": list(FACT_KINDS)}
        return value


class CloudCheck(FrozenModel):
    """One cloud check. `needs` lists the kinds of facts it reads: a gap in any of them
    makes its result "not assessable: missing permission …"; a kind the source did not
    cover at all means no evidence was given and the check does not run. `scopedBy`
    lists kinds whose gaps count the same, without stopping a source that lacks them.

    `onGap` says what else survives a gap: by default nothing (a judgement over
    everything, such as "some trail logs" or "this secret's instance is gone", is wrong
    on partial facts); `keep-failures` keeps failures found on what was read (a role
    that does grant X, an instance that was read with IMDSv1), never passes."""

    id: str = Field(pattern=CLOUD_CHECK_ID)
    title: str = Field(min_length=1)
    severity: Severity
    threats: tuple[str, ...] = Field(min_length=1)
    # Empty: the check evidences no mitigation (hardening; its findings are listed beside
    # the threats it names and decide no status).
    mitigation: str = ""
    match: CloudMatch
    needs: tuple[FactKind, ...] = Field(min_length=1)
    # Kinds that bring subjects into the check's scope where a source covers them (live,
    # the instances that show which roles play a CAPA part): a gap in one makes the
    # check not assessable as a gap in `needs` does, but a source that does not cover
    # them (an offline file) still runs the check on what it has.
    scoped_by: tuple[FactKind, ...] = ()
    expression: str | None = None
    function: bool = False
    on_gap: Literal["unknown", "keep-failures"] = "unknown"
    # As for manifest checks: `full` when a pass shows the mitigation whole, `partial`
    # (the default) when it shows only part; `proves` says what a pass does show.
    evidence: Literal["full", "partial"] = "partial"
    proves: str = ""
    message: str = Field(min_length=1)
    remediation: str = Field(min_length=1)
    references: tuple[str, ...] = Field(min_length=1)
    examples: Examples[CloudExample] = Examples[CloudExample]()

    @field_validator("message", "remediation")
    @classmethod
    def _one_line(cls, value: str) -> str:
        return " ".join(value.split())

    @model_validator(mode="after")
    def _expression_or_function(self) -> CloudCheck:
        if (self.expression is None) == (not self.function):
            raise ValueError("give either `expression` (CEL) or `function: true`")
        if self.mitigation and not self.proves.strip():
            raise ValueError("say in `proves` what a pass shows of its mitigation")
        return self
