"""Compare generated threats with the catalogue: recall and candidate threats.

A generated threat matches a catalogue entry when they share a STRIDE category and at
least one model element; the best match is the entry with the closest element and asset
sets (Jaccard). Recall counts catalogue entries that some generated threat
matches; generated threats that match nothing are candidates for a reviewer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from capsa.threats.catalogue import Catalogue, CatalogueThreat
from capsa.threats.engine import GeneratedThreat


@dataclass(frozen=True)
class Match:
    """Result of matching: per generated threat its best catalogue entry; per entry its matches."""

    best: dict[str, str | None]
    matched_by: dict[str, tuple[str, ...]]
    matched: int
    total: int

    @property
    def missed(self) -> list[str]:
        return [cid for cid, by in self.matched_by.items() if not by]

    @property
    def closest(self) -> int:
        """Catalogue entries that are the closest match of at least one generated threat
        (stricter than `matched`, where any overlapping threat counts)."""
        return len({entry for entry in self.best.values() if entry is not None})


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0


def _score(generated: GeneratedThreat, entry: CatalogueThreat) -> float:
    """0 when the threats do not match; otherwise higher for closer element and asset sets."""
    if entry.category.value not in generated.categories:
        return 0.0
    elements = set(generated.elements)
    if not elements & set(entry.elements):
        return 0.0
    return _jaccard(elements, set(entry.elements)) + 0.5 * _jaccard(
        set(generated.assets), set(entry.assets)
    )


def match(catalogue: Catalogue, generated: Sequence[GeneratedThreat]) -> Match:
    """Match generated threats to STRIDE catalogue entries (project gaps are not STRIDE)."""
    entries = [t for t in catalogue.threats if t.is_stride]
    best: dict[str, str | None] = {}
    matched_by: dict[str, list[str]] = {e.id: [] for e in entries}
    for threat in generated:
        scored = [(_score(threat, e), -i, e.id) for i, e in enumerate(entries)]
        hits = [s for s in scored if s[0] > 0]
        for _, _, entry_id in hits:
            matched_by[entry_id].append(threat.id)
        best[threat.id] = max(hits)[2] if hits else None
    matched = sum(1 for ids in matched_by.values() if ids)
    return Match(best, {k: tuple(v) for k, v in matched_by.items()}, matched, len(entries))
