"""Pipeline stages that return crafted evidence, so the service and CLI run without the
real engines (and without the built-in model)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from assessment_factory import CHECKS, MODEL, THREATS, finding, passed

from capsa.assess.model import CutEntry, FindingRecord, PathRecord, PathStepRecord
from capsa.assess.pipeline import (
    AssessRequest,
    PathStage,
    RepositoryStage,
    ScanStage,
    Stages,
    ThreatStage,
)
from capsa.model.loader import load_model
from capsa.model.types import SystemModel


@dataclass
class Recorder:
    """Remembers what the stages were asked, and what the scan should return."""

    findings: Sequence[FindingRecord] = field(default_factory=lambda: [finding()])
    scanned: list[Sequence[str]] = field(default_factory=list)
    requests: list[AssessRequest] = field(default_factory=list)

    def stages(self) -> Stages:
        def threats(model: SystemModel, request: AssessRequest) -> ThreatStage:
            self.requests.append(request)
            return ThreatStage(threats=THREATS)

        def scan(request: AssessRequest, paths: Sequence[str]) -> ScanStage:
            self.scanned.append(list(paths))
            return ScanStage(
                findings=self.findings,
                passes=[passed("CAPSA-IMG-001")],
                checks=CHECKS,
                resources=3,
            )

        def paths(model: SystemModel, scan: ScanStage) -> PathStage:
            step = PathStepRecord(source="pod", target="imds", technique="scrape", threats=[])
            return PathStage(
                paths=[PathRecord(entry="pod", target="imds", score=1.0, steps=[step])],
                cut=[CutEntry(mitigation="STRIDE-SPOOF-1.M1", checks=["CAPSA-AWS-001"])],
            )

        return Stages(
            load_model=lambda ref: load_model(str(MODEL)),
            threats=threats,
            scan=scan,
            paths=paths,
            repository=lambda request, now: RepositoryStage(),
            example_paths=lambda: ["bundled-example"],
        )
