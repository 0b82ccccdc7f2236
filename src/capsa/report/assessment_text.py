"""Wording shared by the Markdown and HTML assessments, so both say the same thing."""

from __future__ import annotations

from collections.abc import Sequence

from capsa.assess.model import (
    Assessment,
    CandidateThreat,
    DeploymentStatus,
    FindingRecord,
    MitigationAssessment,
    ThreatAssessment,
)
from capsa.assess.status import METHOD
from capsa.display import NAMES_SHOWN

# What matters first: the summary and the actions, then the verdicts, the paths with the
# cut before them and the findings; the rest is in the companion documents
# (`capsa.report.companions`), which the last section lists.
SECTIONS = (
    "Executive summary",
    "Scope and method",
    "Threats",
    "Attack paths and recommended cut",
    "Findings",
    "Project gaps",
    "Input problems",
    "In detail",
)

# Why a mitigation is not assessable: the status reasons `capsa.assess.status` writes
# again and again, each shown in tables as a short name and explained once.
NOT_ASSESSABLE = (
    (
        "no check evidences this mitigation",
        "no check",
        "capsa has no check whose result "
        "shows this mitigation in place or missing; verify it by hand or track it.",
    ),
    (
        "not implemented upstream, and no check proves an equivalent control",
        "not implemented upstream",
        "Cluster API does not implement it, and no check shows "
        "an equivalent control the deployment added.",
    ),
    (
        "carried by the project, not assessed without --repo",
        "project (needs --repo)",
        "the Cluster API project carries it; pass the project's repository with --repo to "
        "assess it.",
    ),
    (
        "carried by the project, and no repository check evidences it",
        "project, no check",
        "the project carries it and no repository check shows it.",
    ),
    (
        "carried by the cloud platform, which no deployment input evidences",
        "cloud platform",
        "the cloud provider carries it (IAM, SDK); no deployment input can show it.",
    ),
    (
        "nothing in the inputs for its checks to judge",
        "nothing to judge",
        "its checks exist but found no object in the inputs they apply to (or only "
        "not-applicable ones, which are never evidence).",
    ),
)

STATUS_TEXT = {
    DeploymentStatus.VIOLATED: "violated",
    DeploymentStatus.ACCEPTED: "accepted",
    DeploymentStatus.VERIFIED: "verified",
    DeploymentStatus.PARTLY_VERIFIED: "partly verified",
    DeploymentStatus.NOT_ASSESSABLE: "not assessable",
}

STATUS_MARK = {
    DeploymentStatus.VIOLATED: "❌",
    DeploymentStatus.ACCEPTED: "⚠️",
    DeploymentStatus.VERIFIED: "✅",
    DeploymentStatus.PARTLY_VERIFIED: "◐",
    DeploymentStatus.NOT_ASSESSABLE: "❔",
}

_CATEGORY_TITLES = {
    "spoofing": "Spoofing",
    "tampering": "Tampering",
    "repudiation": "Repudiation",
    "information-disclosure": "Information disclosure",
    "informationdisclosure": "Information disclosure",
    "information disclosure": "Information disclosure",
    "denial-of-service": "Denial of service",
    "denial of service": "Denial of service",
    "dos": "Denial of service",
    "elevation-of-privilege": "Elevation of privilege",
    "elevation of privilege": "Elevation of privilege",
    "eop": "Elevation of privilege",
    "s": "Spoofing",
    "t": "Tampering",
    "r": "Repudiation",
    "i": "Information disclosure",
    "d": "Denial of service",
    "e": "Elevation of privilege",
    "project-hygiene": "Project hygiene",
}


METHOD_TITLE = "How the verdicts are decided"
METHOD_TEXT = METHOD

CARRIER_TEXT = {
    "deployment": "deployment",
    "project": "project",
    "platform": "cloud platform",
}


def carrier_text(m: MitigationAssessment) -> str:
    """Who carries a mitigation, and whether this assessment holds them to it."""
    who = CARRIER_TEXT.get(m.carrier, m.carrier)
    return f"{who}, required" if m.required else f"{who}, not required here"


def candidates_sentence(a: Assessment) -> str:
    """How many threats the STRIDE rules derived from the model beyond the catalogue's
    (a model of another system may have none of the catalogue's): empty when none."""
    count = len(a.candidates)
    if not count:
        return ""
    opened, mitigated, unknown = candidate_split(a.candidates)
    split = f"{opened} open, {mitigated} mitigated in the model"
    split += f", {unknown} saved without a status" if unknown else ""
    return (
        f"{count} further threat{'s were' if count != 1 else ' was'} derived from the "
        f"model by the STRIDE rules ({split}); the catalogue does not list "
        f"{'them' if count != 1 else 'it'}, and no check assesses "
        f"{'them' if count != 1 else 'it'}."
    )


def no_threats_sentence(a: Assessment) -> str:
    """Said instead of an empty table of threats: the catalogue's are Cluster API's."""
    derived = " (see Threats in detail)" if a.candidates else ""
    return (
        "No threat of the SIG Security Cluster API self-assessment applies to this model; "
        f"only the threats the STRIDE rules derived from it are assessed as candidates{derived}."
    )


def no_paths_sentence(a: Assessment) -> str:
    """Said where no path is listed: that none was found, or that none was searched for
    (and why), which is no evidence that none exists."""
    if a.summary.paths_not_searched:
        return (
            "Attack paths were not searched, so no path and no cut are claimed: "
            + "; ".join(a.summary.paths_not_searched)
            + "."
        )
    return "No open attack path was found from the entry points to the targets."


def cut_sentence(a: Assessment) -> str:
    """What the recommended cut does, never claiming more than it closes."""
    if a.summary.paths_not_searched:
        return no_paths_sentence(a)
    count = len(a.cut)
    if a.uncuttable:
        routes = "; ".join(r.label for r in a.uncuttable)
        what = (
            f"The recommended cut ({count} mitigation{'s' if count != 1 else ''}) leaves "
            "paths open: "
            if a.cut
            else "No recommended cut: "
        )
        return what + f"no checkable mitigation closes {routes}."
    if a.cut:
        return (
            f"The recommended cut ({count} mitigation{'s' if count != 1 else ''}) closes "
            "every path from the entry points to the targets."
        )
    if a.paths:
        return "No recommended cut was computed for the paths listed."
    return "No open attack path was found, so no cut is needed."


# The 2022 document's status column offered every choice and ticked none for many
# mitigations; the catalogue keeps that text verbatim, the reports say it in two words.
_LEFT_OPEN = "implemented / planned / to be implemented / End User Guidance (left open)"


def status_2022(text: str) -> str:
    """A mitigation's status in the 2022 document, as the reports show it."""
    return "left open" if text.strip() == _LEFT_OPEN else text


def reason_label(reason: str) -> str | None:
    """The short name of a repeated not-assessable reason, None for any other reason."""
    for text, label, _ in NOT_ASSESSABLE:
        if reason == text or reason.startswith(text + ","):
            return label
    return None


def category_title(category: str) -> str:
    key = category.strip().lower().replace("_", "-")
    return _CATEGORY_TITLES.get(key, category.replace("-", " ").capitalize() or "Other")


def status_text(status: DeploymentStatus) -> str:
    return f"{STATUS_MARK[status]} {STATUS_TEXT[status]}"


def candidate_split(candidates: Sequence[CandidateThreat]) -> tuple[int, int, int]:
    """How many candidates are open, mitigated in the model, and saved without a status
    (an older assessment)."""
    mitigated = sum(1 for c in candidates if c.mitigated_in_model)
    unknown = sum(1 for c in candidates if c.mitigated_in_model is None)
    return len(candidates) - mitigated - unknown, mitigated, unknown


def candidate_counts(candidates: list[CandidateThreat]) -> str:
    """The engine's candidates counted open and mitigated in the model apart, as `capsa
    threats` counts them."""
    opened, mitigated, unknown = candidate_split(candidates)
    text = (
        f"{opened} open, {mitigated} mitigated in the model "
        "(the severity of a mitigated one is what it would be without the mitigation)"
    )
    return text + (f"; {unknown} saved without a status." if unknown else ".")


def grouped_threats(assessment: Assessment) -> list[tuple[str, list[ThreatAssessment]]]:
    """Threats grouped by category, in the order categories first appear."""
    groups: dict[str, list[ThreatAssessment]] = {}
    for threat in assessment.threats:
        groups.setdefault(category_title(threat.category), []).append(threat)
    return list(groups.items())


def title_of(assessment: Assessment) -> str:
    meta = assessment.model.metadata
    return meta.title or meta.name


def scope_lines(assessment: Assessment) -> list[str]:
    """One line per input, as plain text."""
    inputs = assessment.inputs
    out = [f"Model: {inputs.model}"]
    if inputs.provider_note:
        out.append(f"Providers: {inputs.provider_note}")
    if inputs.example:
        out.append("Manifests: the example deployment bundled with capsa (capa-demo)")
    for path in inputs.paths:
        out.append(f"Manifests: {path}")
    if inputs.root:
        out.append(f"Locations relative to: {inputs.root}")
    out.extend(f"Selection: {line}" for line in inputs.selection)
    if inputs.skipped_files:
        out.append(f"Files left unread by --skip-path: {inputs.skipped_files}")
    if inputs.excluded_checks:
        out.append(
            f"Checks left out ({len(inputs.excluded_checks)}; their mitigations are not "
            f"assessed): {', '.join(inputs.excluded_checks)}"
        )
    if inputs.cluster is not None:
        out.append(f"Live management cluster: {inputs.cluster or 'current kubeconfig context'}")
    if inputs.repo:
        out.append(f"Project repository: {inputs.repo}")
    if inputs.variables:
        out.append(f"Variables set (names only): {', '.join(inputs.variables)}")
    for vars_file in [*([inputs.vars_file] if inputs.vars_file else []), *inputs.vars_files]:
        out.append(f"Variables file: {vars_file}")
    if inputs.ignore_file:
        out.append(f"Suppressions: {inputs.ignore_file}")
    if inputs.tracking:
        out.append(f"Tracking decisions: {inputs.tracking}")
    out.extend(f"Cloud evidence: {source}" for source in inputs.cloud)
    if not inputs.cloud and inputs.cloud_note:
        out.append(f"Cloud evidence: {inputs.cloud_note}")
    return out


def threat_findings(
    t: ThreatAssessment, by_fingerprint: dict[str, FindingRecord]
) -> list[FindingRecord]:
    """The findings behind a threat's status, each once, in its mitigations' order
    (`by_fingerprint`: `Assessment.findings_by_fingerprint`)."""
    seen: set[str] = set()
    rows: list[FindingRecord] = []
    for m in t.mitigations:
        for fingerprint in m.findings:
            found = by_fingerprint.get(fingerprint)
            if found is not None and fingerprint not in seen:
                seen.add(fingerprint)
                rows.append(found)
    return rows


def related_findings(
    t: ThreatAssessment, by_fingerprint: dict[str, FindingRecord]
) -> list[FindingRecord]:
    """The hardening findings that name a threat but evidence no mitigation."""
    return [f for f in (by_fingerprint.get(x) for x in t.related_findings) if f is not None]


def some_clusters(clusters: tuple[str, ...]) -> tuple[tuple[str, ...], int]:
    """The clusters the main report names per risk or path group (`NAMES_SHOWN`; at the
    corpus x5 one summary line named 205), and how many more the paths document names."""
    return clusters[:NAMES_SHOWN], max(0, len(clusters) - NAMES_SHOWN)
