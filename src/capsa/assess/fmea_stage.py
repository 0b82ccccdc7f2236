"""The assessment's FMEA stage: the model's named flows under every fault, with the
deployment settings the scan shows. A model whose flows name unknown things gives no FMEA
and says why, without stopping the rest of the assessment."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

from capsa.assess.convert import problem
from capsa.assess.pipeline import AssessRequest, FmeaStage, ScanStage
from capsa.errors import InputError
from capsa.model.types import SystemModel
from capsa.sim.links import check_model_links
from capsa.sim.service import run_fmea
from capsa.sources.root import relative_to_root


def fmea_stage(
    model: SystemModel,
    request: AssessRequest,
    scan: ScanStage,
    display: Callable[[str], str] | None = None,
) -> FmeaStage:
    if display is None and scan.result is not None and scan.result.root:
        display = partial(relative_to_root, root=Path(scan.result.root))
    try:
        check_model_links(request.model)
        report = run_fmea(model, scan.result, model_label=request.model, display=display)
    except InputError as error:
        return FmeaStage(errors=[problem(p) for p in error.problems])
    return FmeaStage(report=report)
