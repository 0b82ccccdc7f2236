"""Wording shared by the Markdown and HTML assessments, so both say the same thing."""

from __future__ import annotations

from capsa.assess.model import Assessment, DeploymentStatus, ThreatAssessment

SECTIONS = (
    "Overview and scope",
    "Components and personas",
    "Data-flow diagram",
    "Flows",
    "Threats",
    "Checks",
    "Findings",
    "Attack paths and recommended cut",
    "Project gaps",
    "Candidate threats from the engine",
    "Input problems",
    "Failure modes and fault injection (FMEA)",
)

STATUS_TEXT = {
    DeploymentStatus.VIOLATED: "violated",
    DeploymentStatus.ACCEPTED: "accepted (suppressed findings)",
    DeploymentStatus.VERIFIED: "verified",
    DeploymentStatus.NOT_ASSESSABLE: "not assessable from the inputs given",
}

STATUS_MARK = {
    DeploymentStatus.VIOLATED: "❌",
    DeploymentStatus.ACCEPTED: "⚠️",
    DeploymentStatus.VERIFIED: "✅",
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


def category_title(category: str) -> str:
    key = category.strip().lower().replace("_", "-")
    return _CATEGORY_TITLES.get(key, category.replace("-", " ").capitalize() or "Other")


def status_text(status: DeploymentStatus) -> str:
    return f"{STATUS_MARK[status]} {STATUS_TEXT[status]}"


def threat_anchor(threat_id: str) -> str:
    return f"threat-{threat_id}"


def check_anchor(check_id: str) -> str:
    return f"check-{check_id}"


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
    if inputs.example:
        out.append("Manifests: the example deployment bundled with capsa (capa-demo)")
    for path in inputs.paths:
        out.append(f"Manifests: {path}")
    if inputs.cluster is not None:
        out.append(f"Live management cluster: {inputs.cluster or 'current kubeconfig context'}")
    if inputs.repo:
        out.append(f"Project repository: {inputs.repo}")
    if inputs.variables:
        out.append(f"Variables set (names only): {', '.join(inputs.variables)}")
    if inputs.vars_file:
        out.append(f"Variables file: {inputs.vars_file}")
    if inputs.ignore_file:
        out.append(f"Suppressions: {inputs.ignore_file}")
    if inputs.tracking:
        out.append(f"Tracking decisions: {inputs.tracking}")
    out.extend(f"Cloud evidence: {source}" for source in inputs.cloud)
    if not inputs.cloud and inputs.cloud_note:
        out.append(f"Cloud evidence: {inputs.cloud_note}")
    return out
