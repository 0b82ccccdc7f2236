"""docs/coverage.md generated from the check data: per threat and mitigation, the checks
that evidence it from manifests, a live cluster, the cloud account and the project's
repositories, the providers the manifest checks read, and, for each mitigation no
manifest can carry, what would show it and why (`checks/data/_coverage.yaml`)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from capsa.report.markdown_text import cell, table

if TYPE_CHECKING:
    from capsa.checks.coverage import Gap
    from capsa.checks.model import Check
    from capsa.threats.catalogue import Catalogue

SOURCE = (
    "src/capsa/checks/data/*.yaml, src/capsa/checks/data/_coverage.yaml, "
    "src/capsa/live/checks.yaml, src/capsa/cloud/data/checks.yaml, "
    "src/capsa/assess/data/repository-checks.yaml and the threat catalogue"
)
PROVIDERS = ("aws", "azure", "vsphere", "docker", "any")


@dataclass(frozen=True)
class OtherChecks:
    """Ids of the live, cloud and repository checks, per mitigation they evidence."""

    live: Mapping[str, Sequence[str]] = field(default_factory=dict)
    cloud: Mapping[str, Sequence[str]] = field(default_factory=dict)
    repository: Mapping[str, Sequence[str]] = field(default_factory=dict)


def by_mitigation(pairs: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """{mitigation: sorted check ids} from (check id, mitigation) pairs; empty ones dropped."""
    out: dict[str, list[str]] = defaultdict(list)
    for check_id, mitigation in pairs:
        if mitigation:
            out[mitigation].append(check_id)
    return {m: sorted(ids) for m, ids in out.items()}


def _ids(ids: Sequence[str]) -> str:
    return ", ".join(ids) if ids else "-"


def _manifest_cell(checks: Sequence[Check]) -> str:
    return ", ".join(f"{c.id} ({c.evidence})" for c in checks) if checks else "-"


def _providers(checks: Sequence[Check]) -> list[str]:
    found = {p for c in checks for p in c.providers}
    return [p for p in PROVIDERS if p in found]


def _undecided_section(checks: Sequence[Check]) -> list[str]:
    """Where a manifest check cannot decide on a shape it matches (its `undecided`
    part): the check, its providers, what decides instead, and the upstream code."""
    undecided = [c for c in checks if c.undecided is not None]
    if not undecided:
        return []
    lines = [
        "## Where a manifest check cannot decide",
        "",
        "Shapes a check matches whose deciding setting lies outside the manifests: the "
        "result there is unknown, naming the input that decides (from each check's "
        "`undecided`).",
        "",
    ]
    rows = [
        [
            check.id,
            ", ".join(check.providers),
            cell(" ".join(check.undecided.reason.split())),
            cell(check.undecided.reference),
        ]
        for check in sorted(undecided, key=lambda c: c.id)
        if check.undecided is not None
    ]
    lines.extend(table(["check", "providers", "undecided because", "upstream"], rows))
    return lines


def coverage_markdown(
    catalogue: Catalogue,
    checks: Sequence[Check],
    others: OtherChecks,
    gaps: Mapping[str, Gap],
    header: str,
) -> str:
    """The page: a summary, providers, where checks cannot decide, then one table per
    threat."""
    from capsa.checks.coverage import NEED_COUNTED, NEED_TEXT

    direct: dict[str, list[Check]] = defaultdict(list)
    hardening: dict[str, list[str]] = defaultdict(list)
    for check in checks:
        if check.mitigation:
            direct[check.mitigation].append(check)
        else:
            for threat_id in check.threats:
                hardening[threat_id].append(check.id)
    same_as = {m.id: m.same_as for t in catalogue.threats for m in t.mitigations if m.same_as}

    def manifest_checks(mitigation: str) -> tuple[list[Check], str]:
        """The manifest checks of a mitigation, or of the one it is sameAs (named)."""
        if direct.get(mitigation):
            return direct[mitigation], ""
        target = same_as.get(mitigation)
        if target and direct.get(target):
            return direct[target], target
        for other, target in same_as.items():  # a mitigation others point at
            if target == mitigation and direct.get(other):
                return direct[other], other
        return [], ""

    mitigations = [m for t in catalogue.threats for m in t.mitigations]
    from_manifests = [m.id for m in mitigations if manifest_checks(m.id)[0]]
    needs: Counter[str] = Counter(gaps[m.id].needs for m in mitigations if m.id in gaps)
    with_other = sum(
        1
        for m in mitigations
        if m.id in gaps
        and (others.live.get(m.id) or others.cloud.get(m.id) or others.repository.get(m.id))
    )
    full = sum(
        1 for m in mitigations if any(c.evidence == "full" for c in manifest_checks(m.id)[0])
    )
    lines = [
        header,
        "",
        "# Coverage",
        "",
        f"{len(mitigations)} mitigations in the threat catalogue "
        f"({len(catalogue.threats)} threats). **{len(from_manifests)}** can be evidenced "
        f"from manifests (by a check of their own or of the mitigation they are `sameAs`; "
        f"for {full} a pass can show the whole mitigation). The other {len(gaps)} no "
        "manifest can carry: "
        + ", ".join(f"{needs[n]} {NEED_COUNTED[n]}" for n in NEED_COUNTED if needs[n])
        + f"; {with_other} of them have a live, cloud or repository check. A manifest check "
        "evidences its mitigation in full or in part (what a pass shows is in "
        "docs/checks.md); hardening checks name threats but decide none.",
        "",
        "## Providers",
        "",
        "Mitigations with at least one manifest check that reads that provider's objects "
        "(`any`: provider-neutral kinds such as kubeadm, Cluster API core and RBAC).",
        "",
    ]
    rows = []
    for provider in PROVIDERS:
        relevant = [c for c in checks if provider in c.providers]
        covered = sorted({c.mitigation for c in relevant if c.mitigation})
        rows.append([provider, str(len(covered)), str(len(relevant))])
    lines.extend(table(["provider", "mitigations", "manifest checks"], rows))
    lines.extend(_undecided_section(checks))
    lines.extend(["## Per threat", ""])
    for threat in catalogue.threats:
        title = " ".join(threat.title.split())
        lines.extend([f"### {threat.id}: {cell(title)}", ""])
        rows = []
        for mitigation in threat.mitigations:
            found, via = manifest_checks(mitigation.id)
            if found:
                carried = f"yes, via {via}" if via else "yes"
            else:
                gap = gaps[mitigation.id]
                carried = f"no, {NEED_TEXT[gap.needs]}: {' '.join(gap.why.split())}"
            rows.append(
                [
                    f"{mitigation.id}: {cell(' '.join(mitigation.text.split()))}",
                    mitigation.carrier.value,
                    _manifest_cell(found),
                    _ids(others.live.get(mitigation.id, ())),
                    _ids(others.cloud.get(mitigation.id, ())),
                    _ids(others.repository.get(mitigation.id, ())),
                    ", ".join(_providers(found)) or "-",
                    cell(carried),
                ]
            )
        lines.extend(
            table(
                [
                    "mitigation",
                    "carrier",
                    "manifest checks",
                    "live",
                    "cloud",
                    "repository",
                    "providers",
                    "from manifests",
                ],
                rows,
            )
        )
        if hardening.get(threat.id):
            lines.extend(
                [
                    "Hardening checks naming this threat (they decide no status): "
                    + ", ".join(sorted(hardening[threat.id]))
                    + ".",
                    "",
                ]
            )
    return "\n".join(lines).rstrip("\n") + "\n"
