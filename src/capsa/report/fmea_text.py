"""Wording the FMEA renderers share (terminal, Markdown, HTML), so all say the same."""

from __future__ import annotations

from capsa.display import NAMES_SHOWN, listed
from capsa.sim.records import FailureMode, FlowRecord, FmeaReport, ProfileRecord
from capsa.sim.state import Outcome

ASSUMED_MARK = "*"
ASSUMED_NOTE = (
    "* occurrence assumed: no deployment evidence decides a setting it rests on "
    "(the row says which input would)"
)


def outcome_text(mode: FailureMode) -> str:
    """The outcome as a reader says it."""
    if mode.outcome is Outcome.LEAVES_RESIDUE:
        return "halts leaving residue" if mode.halted_at else "completes leaving residue"
    if mode.outcome is Outcome.COMPLETES_COMPROMISED:
        return "completes compromised"
    if mode.outcome is Outcome.HALTS_SAFELY:
        return "halts safely (repeats)" if mode.churn else "halts safely"
    return "completes"


def scores(mode: FailureMode) -> str:
    """S·O·D, the occurrence starred when it rests on an assumed setting."""
    occurrence = f"{mode.occurrence}{ASSUMED_MARK if mode.assumed else ''}"
    return f"{mode.severity}·{occurrence}·{mode.detection}"


def threats_text(mode: FailureMode) -> str:
    return ", ".join(mode.threats) or "no catalogue threat"


def failing_steps(report: FmeaReport, flow: str) -> dict[str, str]:
    """The step of the flow's highest-priority failure mode, with what to write on it."""
    ranked = report.ranked(flow)
    if not ranked:
        return {}
    top = ranked[0]
    return {top.step: f"{top.id}: {outcome_text(top)} (RPN {top.rpn})"}


def profile_text(profile: ProfileRecord) -> str:
    """A settings profile and the scopes that share it, each name once (copies of one
    cluster share its name), a few named and the other names counted."""
    if not profile.scopes:
        return f"profile {profile.id}: -"
    return f"profile {profile.id}{scope_count(profile)}: {scope_names(profile, NAMES_SHOWN)}"


def scope_names(profile: ProfileRecord, limit: int | None = None) -> str:
    """A profile's scope names, each once; with `limit`, that many and the rest counted."""
    names = list(dict.fromkeys(profile.scopes))
    if not names:
        return "-"
    return listed(names, limit) if limit is not None else ", ".join(names)


def scope_count(profile: ProfileRecord) -> str:
    """ " (N scopes)" when the names shown stand for more scopes than they are, or are
    cut; " (N scopes, M names)" when copies of one cluster share a name; "" otherwise."""
    count, names = len(profile.scopes), len(set(profile.scopes))
    if count > names:
        return f" ({count} scopes, {names} name{'s' if names != 1 else ''})"
    return f" ({count} scopes)" if count > NAMES_SHOWN else ""


def long_profiles(profiles: list[ProfileRecord]) -> list[ProfileRecord]:
    """The profiles whose scopes a table row does not name in full."""
    return [p for p in profiles if len(set(p.scopes)) > NAMES_SHOWN]


def setting_text(value: bool | int) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return f"{value} s"


def flow_title(flow: FlowRecord) -> str:
    included = f", {flow.run_steps} with included flows" if flow.run_steps != flow.steps else ""
    return f"{flow.name} ({flow.steps} steps{included}; {flow.runs} runs)"


def summary_line(report: FmeaReport) -> str:
    counts: dict[str, int] = {}
    for mode in report.modes:
        counts[mode.outcome.value] = counts.get(mode.outcome.value, 0) + 1
    shown = ", ".join(f"{n} {o}" for o, n in sorted(counts.items())) or "none"
    return (
        f"{report.runs} runs of {len(report.faults)} faults over {len(report.flows)} flows; "
        f"failure modes: {shown}"
    )
