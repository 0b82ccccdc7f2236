"""Deployment status from evidence, for each mitigation and each threat.

The rule (stated in every report's method section, `METHOD`):

- A **mitigation** is *violated* when one of its checks has an open finding; *accepted*
  when its only findings are suppressed with a recorded reason; *verified* when a check
  whose pass shows the whole mitigation (`evidence: full`) passed, nothing failed and
  nothing stayed undecided; *partly verified* when there are passes but only from checks
  that show part of it, or undecided results beside them; otherwise *not assessable*,
  with the reason. A "not applicable" result (the check's subject is absent) is never
  evidence. Checks of a mitigation of another threat recommending the same control
  (`sameAs` in the catalogue) count for both. A mitigation some of whose checks the
  selection left out (`--check`, `--skip-check`, `--severity`: `Evidence.excluded`) is
  *not assessable* whatever the others showed, its reason naming the option (and the
  configuration file that set it) and what the checks that ran found: a verdict on part
  of the evidence would hide what the left-out checks could have said.
- Who can carry a mitigation is data (`carrier` in the catalogue): the deployment, the
  project (build, release, repository governance) or the cloud platform. An assessment
  holds the deployment to its mitigations always and the project to its own only when a
  repository was given (`--repo`); platform mitigations are never required.
- A **threat** is *violated* when one of its mitigations is; *verified* only when every
  mitigation an assessed carrier holds is verified (or accepted, then the threat is
  *accepted*), at least one mitigation has evidence, and no open attack path uses a
  technique the threat covers; *accepted* also when a tracking decision accepts or
  transfers it with a justification, and when every mitigation it requires is accepted
  though an open path uses its technique (the acceptance leaves that path open, and the
  reason says so); *partly verified* when some mitigation is verified or partly verified
  but not all of that holds; otherwise *not assessable* (naming any accepted mitigation
  beside those without evidence). Each threat carries a one-line reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from capsa.assess.model import (
    Carrier,
    CheckOutcome,
    CheckSummary,
    DeploymentStatus,
    FindingRecord,
    MitigationAssessment,
    ThreatAssessment,
    TrackingDecision,
)
from capsa.display import listed

METHOD = (
    "A mitigation is verified only when a check whose pass shows the whole mitigation "
    "passed on the resources it applies to, none failed and none was undecided; checks "
    "that show part of a mitigation make it at most partly verified, and a check whose "
    "subject is absent (not applicable) is no evidence. A pass that rests on an upstream "
    'default rather than an explicit setting is marked "by default" and cites the '
    "default; so is one that rests on a clusterctl template's own default for a variable "
    "given no value, naming the variable. A threat is verified only when every mitigation the assessed parties can "
    "carry is verified (or accepted with a recorded reason) and no open attack path uses "
    "a technique the threat covers. When every one it requires is accepted, the threat is "
    "accepted, and an open path using its technique is named as the risk accepted. "
    "Otherwise it is partly verified (some mitigation verified or partly verified, not "
    "all), violated or not assessable; accepted risks alone verify nothing. The deployment carries its own "
    "mitigations; the project's (build, release, repository governance) count only when "
    "a repository is assessed (--repo); those of the cloud platform are never required. "
    "A mitigation upstream has not implemented is verified only by a check proving an "
    "equivalent control the deployment added. A mitigation some of whose checks the run "
    "left out (--check, --skip-check, --severity) is not assessed, whatever the others "
    "showed, and names the option that left them out."
)

_ACCEPTING_DECISIONS = frozenset({"accepted", "transferred", "false-positive"})


@dataclass(frozen=True)
class MitigationInput:
    """A catalogue mitigation before evidence is applied. `same_as` lists the other
    mitigations recommending the same control (their checks count here too)."""

    id: str
    text: str
    upstream_status: str = ""
    status_note: str = ""
    checks: tuple[str, ...] = ()
    status_in_2022: str = ""
    carrier: Carrier = "deployment"
    same_as: tuple[str, ...] = ()


@dataclass(frozen=True)
class ThreatInput:
    """A catalogue threat before evidence is applied."""

    id: str
    category: str
    title: str
    description: str = ""
    elements: tuple[str, ...] = ()
    flows: tuple[str, ...] = ()
    assets: tuple[str, ...] = ()
    mitigations: tuple[MitigationInput, ...] = ()
    tracking: TrackingDecision | None = None


@dataclass(frozen=True)
class Evidence:
    """Everything the checks produced, what each check evidences, who is assessed, and
    which techniques of each threat lie on an open attack path."""

    findings: Sequence[FindingRecord] = ()
    passes: Sequence[CheckOutcome] = ()
    unknown: Sequence[CheckOutcome] = ()
    not_applicable: Sequence[CheckOutcome] = ()
    checks: Sequence[CheckSummary] = ()
    carriers: frozenset[str] = frozenset({"deployment"})
    open_techniques: Mapping[str, Sequence[str]] = field(default_factory=dict)
    open_routes: Mapping[str, str] = field(default_factory=dict)
    # why attack paths were not searched (empty: they were): with none searched, no
    # open path is no evidence that a threat's techniques are closed
    paths_not_searched: Sequence[str] = ()
    # threats some attack technique realises (None: every threat): only for those can
    # a path search that did not run leave something undecided
    path_threats: frozenset[str] | None = None
    # checks the selection left out (--check, --skip-check, --severity) -> the option
    excluded: Mapping[str, str] = field(default_factory=dict)

    def check(self, check_id: str) -> CheckSummary | None:
        return next((c for c in self.checks if c.id == check_id), None)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _ids(items: Iterable[str], limit: int = 3) -> str:
    return listed(sorted(set(items)), limit)


def _checks_for(mitigation: MitigationInput, evidence: Evidence) -> list[str]:
    group = {mitigation.id, *mitigation.same_as}
    linked = list(mitigation.checks)
    for check in evidence.checks:
        if check.mitigation in group and check.id not in linked:
            linked.append(check.id)
    return sorted(linked)


def _unassessed_reason(mitigation: MitigationInput, required: bool, checks: list[str]) -> str:
    if checks:
        return f"nothing in the inputs for its checks to judge, {_ids(checks)}"
    if mitigation.carrier == "project":
        if required:
            return "carried by the project, and no repository check evidences it"
        return "carried by the project, not assessed without --repo"
    if mitigation.carrier == "platform":
        return "carried by the cloud platform, which no deployment input evidences"
    if mitigation.upstream_status == "not-implemented":
        return "not implemented upstream, and no check proves an equivalent control"
    return "no check evidences this mitigation"


def _passed_reason(
    passed: Sequence[CheckOutcome], full: bool, evidence: Evidence, mitigation: MitigationInput
) -> str:
    checks = sorted({p.check_id for p in passed})
    text = f"{_ids(checks)} passed on {_plural(len(passed), 'resource')}"
    defaults = [p for p in passed if p.by_default]
    if defaults:
        text += f" ({len(defaults)} by default)"
    if not full:
        shown = [evidence.check(c) for c in checks]
        parts = sorted({c.proves for c in shown if c is not None and c.proves})
        text += ", which shows only part of it"
        if len(parts) == 1:
            text += f": {parts[0]}"
    elif mitigation.upstream_status == "not-implemented":
        text = "an equivalent control the deployment added: " + text
    return text


def _left_out_reason(
    left_out: Sequence[str],
    evidence: Evidence,
    open_: Sequence[FindingRecord],
    passed: Sequence[CheckOutcome],
) -> str:
    """Why a mitigation is not assessed when the selection left some of its checks out,
    and what the checks that did run showed (never a verdict: the rest could differ)."""
    options = "; ".join(sorted({evidence.excluded[c] for c in left_out}))
    reason = f"{_ids(left_out)} left out by {options}, so no verdict"
    if open_:
        reason += f"; the checks that ran found {_plural(len(open_), 'finding')}"
    elif passed:
        reason += f"; {_ids(p.check_id for p in passed)} passed where they ran"
    return reason


def assess_mitigation(mitigation: MitigationInput, evidence: Evidence) -> MitigationAssessment:
    checks = _checks_for(mitigation, evidence)
    wanted = set(checks)
    group = {mitigation.id, *mitigation.same_as}
    failed = [f for f in evidence.findings if f.check_id in wanted or f.mitigation in group]
    open_ = [f for f in failed if not f.suppressed]
    passed = [p for p in evidence.passes if p.check_id in wanted]
    unknown = [u for u in evidence.unknown if u.check_id in wanted]
    not_applicable = [n for n in evidence.not_applicable if n.check_id in wanted]
    full = any(
        (c := evidence.check(p.check_id)) is not None and c.evidence == "full" for p in passed
    )
    required = mitigation.carrier in evidence.carriers
    left_out = [c for c in checks if c in evidence.excluded]
    if left_out:
        status = DeploymentStatus.NOT_ASSESSABLE
        reason = _left_out_reason(left_out, evidence, open_, passed)
    elif open_:
        status = DeploymentStatus.VIOLATED
        reason = f"{_plural(len(open_), 'finding')} of {_ids(f.check_id for f in open_)}"
    elif failed:
        status = DeploymentStatus.ACCEPTED
        reasons = sorted({f.suppression_reason or "no reason recorded" for f in failed})
        reason = f"{_plural(len(failed), 'finding')} suppressed, {', '.join(reasons)}"
    elif passed and full and not unknown:
        status = DeploymentStatus.VERIFIED
        reason = _passed_reason(passed, True, evidence, mitigation)
    elif passed:
        status = DeploymentStatus.PARTLY_VERIFIED
        reason = _passed_reason(passed, full, evidence, mitigation)
        if unknown:
            reason += f", and {_plural(len(unknown), 'result')} undecided"
    elif unknown:
        status = DeploymentStatus.NOT_ASSESSABLE
        why = sorted({u.reason for u in unknown if u.reason})
        reason = f"its checks could not decide, {_plural(len(unknown), 'result')} unknown"
        reason += f": {why[0]}" if len(why) == 1 else ""
    elif not_applicable:
        status = DeploymentStatus.NOT_ASSESSABLE
        reason = "its checks did not apply, what they look at is absent from the inputs"
    else:
        status = DeploymentStatus.NOT_ASSESSABLE
        reason = _unassessed_reason(mitigation, required, checks)
    return MitigationAssessment(
        id=mitigation.id,
        text=mitigation.text,
        upstream_status=mitigation.upstream_status,
        status_in_2022=mitigation.status_in_2022,
        status_note=mitigation.status_note,
        carrier=mitigation.carrier,
        required=required,
        same_as=sorted(set(mitigation.same_as)),
        checks=checks,
        deployment_status=status,
        reason=reason,
        findings=[f.fingerprint for f in failed],
        passed=passed,
        unknown=unknown,
        not_applicable=not_applicable,
    )


def _short(mitigation_id: str, threat_id: str) -> str:
    """`M5` for a mitigation of the threat at hand, the full id otherwise."""
    prefix = f"{threat_id}."
    return mitigation_id[len(prefix) :] if mitigation_id.startswith(prefix) else mitigation_id


def _held(evidenced: Sequence[MitigationAssessment], threat_id: str) -> str:
    """`M1 verified; M4 accepted; `: the mitigations that hold, by status."""
    return "".join(
        f"{_listing(ms, threat_id)} {status.value}; "
        for status in (DeploymentStatus.VERIFIED, DeploymentStatus.ACCEPTED)
        if (ms := [m for m in evidenced if m.deployment_status is status])
    )


def _listing(mitigations: Sequence[MitigationAssessment], threat_id: str) -> str:
    return ", ".join(_short(m.id, threat_id) for m in mitigations)


def _grouped(mitigations: Sequence[MitigationAssessment], threat_id: str) -> list[str]:
    """`M1, M4 not assessable: reason` per status and reason, in first-seen order."""
    groups: dict[tuple[str, str], list[str]] = {}
    for m in mitigations:
        key = (m.deployment_status.value.replace("-", " "), m.reason)
        groups.setdefault(key, []).append(_short(m.id, threat_id))
    return [
        f"{', '.join(ids)} {status}" + (f": {reason}" if reason else "")
        for (status, reason), ids in groups.items()
    ]


def threat_status(
    threat_id: str,
    mitigations: Sequence[MitigationAssessment],
    open_techniques: Sequence[str],
    tracking: TrackingDecision | None = None,
    unsearched: bool = False,
) -> tuple[DeploymentStatus, str]:
    """The threat's status and its one-line reason, from its mitigations' statuses.
    `unsearched`: no attack path search ran, so none can be said to use its techniques."""
    by = {s: [m for m in mitigations if m.deployment_status is s] for s in DeploymentStatus}
    path_note = f"an open attack path uses {_ids(open_techniques)}" if open_techniques else ""
    violated = by[DeploymentStatus.VIOLATED]
    if violated:
        return DeploymentStatus.VIOLATED, "; ".join(_grouped(violated, threat_id))
    if tracking is not None and tracking.decision in _ACCEPTING_DECISIONS:
        note = tracking.note or "no justification recorded"
        return DeploymentStatus.ACCEPTED, f"tracking decision {tracking.decision}: {note}"
    required = [m for m in mitigations if m.required]
    holding = (DeploymentStatus.VERIFIED, DeploymentStatus.ACCEPTED)
    evidenced = [
        m
        for m in mitigations
        if m.deployment_status in (*holding, DeploymentStatus.PARTLY_VERIFIED)
    ]
    missing = [m for m in required if m.deployment_status not in holding]
    accepted = by[DeploymentStatus.ACCEPTED]
    shown = [m for m in evidenced if m.deployment_status is not DeploymentStatus.ACCEPTED]
    if accepted and not shown and not missing and open_techniques:
        # nothing was verified: the threat stands on accepted risks, one of which leaves
        # the path open (a suppression closes none)
        return (
            DeploymentStatus.ACCEPTED,
            "every mitigation it requires is accepted; "
            + "; ".join(_grouped(accepted, threat_id))
            + f"; {path_note}, which the accepted risk leaves open",
        )
    if evidenced and not missing and not open_techniques and unsearched and not accepted:
        return (
            DeploymentStatus.PARTLY_VERIFIED,
            _held(evidenced, threat_id) + "attack paths were not searched, so no open path "
            "through its techniques is ruled out",
        )
    if evidenced and not missing and not open_techniques:
        if accepted:
            return (
                DeploymentStatus.ACCEPTED,
                "every mitigation it requires is verified or accepted; "
                + "; ".join(_grouped(accepted, threat_id))
                + ("; attack paths were not searched" if unsearched else ""),
            )
        return (
            DeploymentStatus.VERIFIED,
            f"every mitigation it requires is verified ({_listing(evidenced, threat_id)})",
        )
    gaps = _grouped(missing, threat_id)
    if path_note:
        gaps.append(path_note)
    if shown:
        return DeploymentStatus.PARTLY_VERIFIED, _held(evidenced, threat_id) + "; ".join(gaps)
    if not mitigations:
        return DeploymentStatus.NOT_ASSESSABLE, "the assessment lists no mitigation for it"
    if accepted:  # accepted risks beside missing evidence: nothing is verified
        return (
            DeploymentStatus.NOT_ASSESSABLE,
            f"{_listing(accepted, threat_id)} accepted; " + "; ".join(gaps),
        )
    if not required:
        gaps = [*_grouped(mitigations, threat_id), *([path_note] if path_note else [])]
    return DeploymentStatus.NOT_ASSESSABLE, "; ".join(gaps)


def assess_threat(threat: ThreatInput, evidence: Evidence) -> ThreatAssessment:
    mitigations = [assess_mitigation(m, evidence) for m in threat.mitigations]
    techniques = sorted(set(evidence.open_techniques.get(threat.id, ())))
    realised = evidence.path_threats is None or threat.id in evidence.path_threats
    status, reason = threat_status(
        threat.id,
        mitigations,
        techniques,
        threat.tracking,
        bool(evidence.paths_not_searched) and realised,
    )
    linked = {c for m in mitigations for c in m.checks}
    # checks naming this threat whose results decide none of its mitigations: hygiene
    # checks, and checks of another threat's mitigation (IDENT-001 names INFODISCLOSE-4,
    # evidences SPOOF-1.M5)
    naming = {c.id for c in evidence.checks if threat.id in c.threats and c.id not in linked}
    others = [f for f in evidence.findings if f.check_id in naming and not f.suppressed]
    if others and status is not DeploymentStatus.VIOLATED:
        note = f"open findings naming it decide no mitigation of it: {_ids(f.check_id for f in others)}"
        reason = f"{reason}; {note}" if reason else note
    return ThreatAssessment(
        id=threat.id,
        category=threat.category,
        title=threat.title,
        description=threat.description,
        elements=list(threat.elements),
        flows=list(threat.flows),
        assets=list(threat.assets),
        mitigations=mitigations,
        deployment_status=status,
        reason=reason,
        open_techniques=techniques,
        open_routes={t: evidence.open_routes[t] for t in techniques if t in evidence.open_routes},
        related_findings=[f.fingerprint for f in others],
        tracking=threat.tracking,
    )
