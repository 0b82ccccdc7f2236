"""The fault catalogue loader: the shipped file loads; every kind of mistake in a fault
entry is reported at its line, all at once."""

from __future__ import annotations

from importlib import resources

import pytest

from capsa.errors import InputError
from capsa.sim.effects import EFFECTS
from capsa.sim.faults import load_faults, parse_faults

SHIPPED = (resources.files("capsa.sim") / "data" / "faults.yaml").read_text("utf-8")


def _problems(text: str, registered: list[str] | None = None) -> list[tuple[int | None, str]]:
    with pytest.raises(InputError) as info:
        parse_faults(text, registered=registered)
    return [(p.line, p.message) for p in info.value.problems]


def _line(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), start=1) if needle in line)


def test_shipped_catalogue_loads_with_an_effect_per_fault() -> None:
    catalogue = load_faults()
    assert set(catalogue.faults) == set(EFFECTS)
    assert catalogue.scales.detection["none"] == 10


def test_unknown_threat_id_is_reported_at_its_line() -> None:
    text = SHIPPED.replace(
        "threats: [STRIDE-SPOOF-4, STRIDE-SPOOF-5, STRIDE-INFODISCLOSE-2, STRIDE-INFODISCLOSE-3, STRIDE-DOS-1, STRIDE-DOS-5",
        "threats: [STRIDE-SPOOF-40, STRIDE-SPOOF-5, STRIDE-INFODISCLOSE-2, STRIDE-INFODISCLOSE-3, STRIDE-DOS-1, STRIDE-DOS-5",
        1,
    )
    assert text != SHIPPED
    assert _problems(text) == [
        (_line(text, "STRIDE-SPOOF-40"), "unavailable: unknown threat id 'STRIDE-SPOOF-40'")
    ]


def test_a_pass_example_that_fires_is_refused() -> None:
    old = '          at: "2"\n          outcome: completes\n'
    text = SHIPPED.replace(old, '          at: "2"\n          outcome: leaves-residue\n', 1)
    assert text != SHIPPED
    found = _problems(text)
    assert [m for _, m in found] == ["unavailable: a pass example cannot end leaves-residue"]


def test_an_example_naming_an_unknown_case_setting_or_threat() -> None:
    text = SHIPPED.replace(
        '        - case: crash\n          at: "2"\n          outcome: leaves-residue\n',
        '        - case: meltdown\n          at: "9"\n          settings: {moon-phase: true}\n          outcome: leaves-residue\n',
        1,
    )
    text = text.replace(
        "exposes: [STRIDE-INFODISCLOSE-2]}]\n            - description: use it and delete it\n              uses: call\n              semantics: {requires: [stored], removes: [stored]}\n      pass:",
        "exposes: [STRIDE-LEAK-1]}]\n            - description: use it and delete it\n              uses: call\n              semantics: {requires: [stored], removes: [stored]}\n      pass:",
        1,
    )
    assert _problems(text) == [
        (_line(text, "case: meltdown"), "unavailable: no case 'meltdown'"),
        (_line(text, 'at: "9"'), "unavailable: the example flow has no step '9'"),
        (_line(text, "moon-phase"), "unavailable: unknown setting 'moon-phase'"),
        (_line(text, "STRIDE-LEAK-1"), "unavailable: example: unknown threat id 'STRIDE-LEAK-1'"),
    ]


def test_a_fault_without_an_effect_and_an_effect_without_a_fault() -> None:
    found = _problems(SHIPPED, registered=[f for f in EFFECTS if f != "slow"] + ["melt"])
    assert sorted(m for _, m in found) == [
        "effect 'melt' is registered but no fault has that id",
        "slow: no effect is registered for this fault (capsa.sim.effects)",
    ]


def test_a_fault_without_a_silent_example() -> None:
    start = SHIPPED.index("  - id: partial-write")
    text = SHIPPED[: SHIPPED.index("      pass:", start)]
    examples = text.index("    examples:", start)
    line = text[:examples].count("\n") + 1
    assert _problems(text) == [
        (line, "partial-write: needs at least one 'pass' example (stays silent)")
    ]
