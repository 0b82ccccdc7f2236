"""FMEA scores of one run: severity from the outcome and what it touches, occurrence from
the fault and the deployment settings the run consulted, detection from the best
detector that applies, and their product, the risk priority number (RPN)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from capsa.model.index import ModelIndex
from capsa.model.types import Detector, ProductKind, Sensitivity
from capsa.sim.engine import RunResult
from capsa.sim.faults import Fault, Scales
from capsa.sim.settings import SettingCatalogue, SettingValue
from capsa.sim.state import Outcome, SettingsView


@dataclass(frozen=True)
class Scores:
    severity: int
    occurrence: int
    occurrence_basis: str
    assumed: bool
    decided_by: tuple[str, ...]
    detection: int
    detected_by: tuple[str, ...]

    @property
    def rpn(self) -> int:
        return self.severity * self.occurrence * self.detection


def _sensitivity(index: ModelIndex, asset: str | None) -> Sensitivity | None:
    found = index.assets.get(asset or "")
    return found.sensitivity if found is not None else None


def severity(run: RunResult, index: ModelIndex, scales: Scales) -> int:
    scale = scales.severity
    if run.outcome is Outcome.COMPLETES_COMPROMISED:
        flow = index.data_flows.get(run.at.step.uses or "")
        carried = [_sensitivity(index, a) for a in (flow.carries if flow else [])]
        critical = Sensitivity.CRITICAL in carried
        return scale.compromised_critical if critical else scale.compromised
    if run.outcome is Outcome.LEAVES_RESIDUE:
        ranks = []
        for residue in run.residue:
            product = residue.product
            sensitivity = _sensitivity(index, product.asset)
            if product.kind is ProductKind.CLOUD_RESOURCE:
                key = "cloudResource"
            else:
                key = sensitivity.value if sensitivity is not None else "other"
            ranks.append(scale.residue.get(key, scale.residue.get("other", 3)))
        return max(ranks)
    if run.outcome is Outcome.HALTS_SAFELY:
        return scale.churn if run.churn or run.outage else scale.halts_safely
    return scale.completes


def occurrence(
    run: RunResult, fault: Fault, catalogue: SettingCatalogue
) -> tuple[int, str, bool, tuple[str, ...]]:
    """(occurrence 1-10, its basis, whether it rests on an assumed setting, the inputs
    that would decide those settings)."""
    value = fault.occurrence.base
    parts = [f"{fault.id} base {value}: {fault.occurrence.why}"]
    for setting in run.consulted:
        shift = catalogue.shift(setting)
        if shift:
            value += shift
            parts.append(f"+{shift}: {setting.label()}")
    assumed = [s for s in run.consulted if s.assumed]
    for setting in assumed:
        parts.append(f"assumed {setting.label()}")
    decided = tuple(catalogue.specs[s.id].decided_by for s in assumed if s.id in catalogue.specs)
    return max(1, min(10, value)), "; ".join(parts), bool(assumed), decided


def _detectors(run: RunResult) -> Iterator[Detector]:
    if run.halted_at is not None:
        yield from run.halted_at.semantics.detection
    for residue in run.residue:
        yield from residue.product.detection
    for compromise in run.compromises:
        yield from compromise.item.detection


def detection(
    run: RunResult, settings: SettingsView, scales: Scales
) -> tuple[int, tuple[str, ...]]:
    """(detection 1-10, 10 when nothing notices; the detectors that would, best first)."""
    found: list[tuple[int, str]] = []
    for detector in _detectors(run):
        if detector.needs is not None and not settings.holds(detector.needs):
            continue
        rank = scales.detection.get(detector.kind.value, scales.detection["none"])
        label = detector.name + (f" ({detector.check})" if detector.check else "")
        if (rank, label) not in found:
            found.append((rank, label))
    found.sort()
    best = found[0][0] if found else scales.detection["none"]
    return best, tuple(label for _, label in found)


def score(
    run: RunResult,
    fault: Fault,
    index: ModelIndex,
    scales: Scales,
    catalogue: SettingCatalogue,
    values: dict[str, SettingValue],
) -> Scores:
    rate, basis, assumed, decided = occurrence(run, fault, catalogue)
    detect, detected_by = detection(run, SettingsView(values, catalogue), scales)
    return Scores(
        severity=severity(run, index, scales),
        occurrence=rate,
        occurrence_basis=basis,
        assumed=assumed,
        decided_by=decided,
        detection=detect,
        detected_by=detected_by,
    )
