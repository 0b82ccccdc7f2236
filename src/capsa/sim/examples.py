"""Run a fault's inline example: its steps on the fixed example system
(`capsa.sim.example_system`), the fault case injected at the example's step, and the
outcome the simulator gives."""

from __future__ import annotations

from capsa.errors import InputError, Problem
from capsa.sim.engine import RunResult, simulate
from capsa.sim.example_system import EXAMPLE_FLOW, example_model, example_plan
from capsa.sim.faults import Fault, FaultExample
from capsa.sim.settings import SettingValue, load_settings
from capsa.sim.state import Injection, SettingsView


def run_example(fault: Fault, example: FaultExample) -> RunResult:
    model, problems = example_model(example.steps)
    if model is None:
        raise InputError([Problem(fault.id, None, None, p) for p in problems])
    values = {
        key: SettingValue(key, value, "evidence", "set by the example")
        for key, value in example.settings.items()
    }
    case = fault.case(example.case)
    injection = Injection(fault.id, case.name, example.at, case.persistent)
    settings = SettingsView(values, load_settings())
    return simulate(example_plan(model), injection, settings, EXAMPLE_FLOW)
