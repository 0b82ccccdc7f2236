"""The assessment factory of tests/assess, loaded once for the report tests.

tests/ is not a package, and a run of tests/report alone does not put tests/assess on
sys.path, so the module is loaded by file path and registered under its own name.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType


def _factory() -> ModuleType:
    if "assessment_factory" in sys.modules:
        return sys.modules["assessment_factory"]
    path = Path(__file__).parents[1] / "assess" / "assessment_factory.py"
    spec = importlib.util.spec_from_file_location("assessment_factory", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["assessment_factory"] = module
    spec.loader.exec_module(module)
    return module


F = _factory()
