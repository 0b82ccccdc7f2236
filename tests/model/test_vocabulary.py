"""The vocabulary for tenancy, breadth, integrity, writers, direction, reachability and
MFA: it loads typed, every new reference is checked, and old models need none of it."""

from __future__ import annotations

from pathlib import Path

import pytest

from capsa.errors import InputError
from capsa.model.loader import load_model
from capsa.model.types import Breadth, Direction, Isolation, Rating

FIXTURE = Path(__file__).parent / "fixtures" / "tenancy.yaml"
TEXT = FIXTURE.read_text()


def _problems(tmp_path: Path, text: str) -> list[tuple[int | None, str]]:
    path = tmp_path / "model.yaml"
    path.write_text(text)
    with pytest.raises(InputError) as info:
        load_model(str(path))
    return [(p.line, p.message) for p in info.value.problems]


def _line(text: str, needle: str, nth: int = 0) -> int:
    return [i for i, raw in enumerate(text.splitlines(), 1) if needle in raw][nth]


def test_new_fields_load_typed() -> None:
    model = load_model(str(FIXTURE))
    boundaries = {b.id: b for b in model.boundaries}
    assets = {a.id: a for a in model.assets}
    flows = {f.id: f for f in model.data_flows}
    assert boundaries["node"].isolation is Isolation.WEAK
    assert boundaries["tenant-ns"].workload_creators == ["tenant"]
    assert boundaries["tenant-ns"].identities_shared is None
    assert assets["controller-token"].breadth is Breadth.BROAD
    assert assets["controller-token"].issues == ["minted-token"]
    assert assets["store-config"].integrity is Rating.HIGH
    assert flows["controller-to-provider"].direction is Direction.PULL
    assert flows["admin-to-api"].mfa is True
    assert flows["controller-to-provider"].target_chosen_by == ["store-config"]


def test_old_models_load_without_the_new_fields() -> None:
    model = load_model("builtin:capi-aws")
    assert all(a.breadth is None and a.integrity is None for a in model.assets)
    assert all(f.direction is None for f in model.data_flows)


@pytest.mark.parametrize(
    ("old", "new", "anchor", "message"),
    [
        (
            "workloadCreators: [tenant]",
            "workloadCreators: [ghost]",
            "workloadCreators: [ghost]",
            "boundary 'tenant-ns' workloadCreators names unknown element 'ghost'",
        ),
        (
            "exemptFrom: [gate]",
            "exemptFrom: [ghost]",
            "exemptFrom: [ghost]",
            "boundary 'tenant-ns' exemptFrom names unknown element 'ghost'",
        ),
        (
            "configuredBy: [store-config]",
            "configuredBy: [ghost]",
            "    attributes:",
            "element 'controller' attributes.configuredBy names unknown asset 'ghost'",
        ),
        (
            "reachableFrom: [cluster]",
            "reachableFrom: [ghost]",
            "    attributes:",
            "element 'controller' attributes.reachableFrom names unknown boundary 'ghost'",
        ),
        (
            "runsOn: node",
            "runsOn: ghost",
            "    attributes:",
            "element 'controller' attributes.runsOn names unknown boundary 'ghost'",
        ),
        (
            "grantsWrite: [secret-values]",
            "grantsWrite: [ghost]",
            "grantsWrite: [ghost]",
            "asset 'controller-token' grantsWrite names unknown asset 'ghost'",
        ),
        (
            "issues: [minted-token]",
            "issues: [ghost]",
            "issues: [ghost]",
            "asset 'controller-token' issues names unknown asset 'ghost'",
        ),
        (
            "    writers: [tenant]\n",
            "    writers: [ghost]\n",
            "    writers: [ghost]",
            "asset 'store-config' writers names unknown element 'ghost'",
        ),
        (
            "scopeBoundary: cluster",
            "scopeBoundary: ghost",
            "scopeBoundary: ghost",
            "asset 'controller-token' scopeBoundary names unknown boundary 'ghost'",
        ),
        (
            "returns: [secret-values]",
            "returns: [ghost]",
            "returns: [ghost]",
            "data flow 'api-to-gate' returns unknown asset 'ghost'",
        ),
        (
            "targetChosenBy: [store-config]",
            "targetChosenBy: [ghost]",
            "targetChosenBy: [ghost]",
            "data flow 'controller-to-provider' targetChosenBy names unknown asset 'ghost'",
        ),
    ],
)
def test_every_new_reference_is_checked_at_its_line(
    tmp_path: Path, old: str, new: str, anchor: str, message: str
) -> None:
    assert TEXT.count(old) == 1
    text = TEXT.replace(old, new)
    line = _line(text, anchor) if anchor != "    attributes:" else None
    found = _problems(tmp_path, text)
    assert [m for _, m in found] == [message]
    if line is not None:
        assert found[0][0] == line
    else:
        assert found[0][0] is not None


def test_bad_enum_values_name_the_field(tmp_path: Path) -> None:
    text = TEXT.replace("breadth: broad", "breadth: wide").replace(
        "direction: pull", "direction: sideways"
    )
    found = _problems(tmp_path, text)
    assert {ln for ln, _ in found} == {_line(text, "breadth: wide"), _line(text, "sideways")}


def test_derived_from_names_assets(tmp_path: Path) -> None:
    text = TEXT.replace(
        "    name: Secret values\n", "    name: Secret values\n    derivedFrom: [ghost]\n"
    )
    assert [m for _, m in _problems(tmp_path, text)] == [
        "asset 'secret-values' derivedFrom names unknown asset 'ghost'"
    ]
