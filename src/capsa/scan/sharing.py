"""One object per distinct value among objects a scan rebuilds from bytes.

Unpickling a file's block, or validating a cache entry's JSON, gives every string,
reference and location its own object, where the objects a scan makes in one piece
share them: the corpus x20's 32,040 skeletons held 576,785 strings with 5,034 distinct
values (40 of their 100 MB), and a cached group's results held a copy of their check's
texts per finding. What a scan keeps across its input (the skeletons while planning, the
merged results) goes through one `Sharing`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from capsa.checks.findings import CheckResult, Finding
from capsa.sources.resource import Resource

T = TypeVar("T")


class Sharing:
    """Equal values seen so far, each kept once. Only values that never change are
    shared: strings, tuples, frozen records and frozensets, never a dict or list."""

    def __init__(self) -> None:
        self._seen: dict[Any, Any] = {}

    def one(self, value: T) -> T:
        """The first value decoded equal to `value` (`value` itself the first time)."""
        kept: T = self._seen.setdefault(value, value)
        return kept

    def finding(self, found: Finding) -> Finding:
        one = self.one
        return Finding(
            found.fingerprint,
            one(found.check_id),
            one(found.title),
            found.severity,
            one(found.threats),
            one(found.mitigation),
            one(found.resource),
            one(found.location),
            one(found.message),
            one(found.remediation),
            one(found.references),
            found.suppressed,
            found.suppression_reason,
        )

    def result(self, found: CheckResult) -> CheckResult:
        one = self.one
        return CheckResult(
            one(found.check_id),
            one(found.resource),
            one(found.location),
            one(found.reason),
            one(found.by_default),
        )

    def tree(self, node: Any) -> Any:
        """A copy of a plain tree (dicts, lists, scalars) whose strings, keys
        included, are shared; its dicts and lists are new."""
        return _tree(node, self._seen.setdefault)

    def resource(self, resource: Resource) -> Resource:
        """A skeleton (`capsa.scan.skeleton`) with its names, body and origin shared;
        what a skeleton never holds (patch provenance, value facts) is dropped."""
        one = self.one
        return Resource(
            one(resource.api_version),
            one(resource.kind),
            one(resource.namespace),
            one(resource.name),
            self.tree(resource.body),
            one(resource.origin),
            one(resource.unknown_paths),
            one(resource.fragment_of),
        )


Seen = Callable[[Any, Any], Any]
_NESTED = (dict, list)


def _tree(node: Any, seen: Seen) -> Any:
    """`Sharing.tree`, with the test for a string written out at each child rather
    than a call per string: the corpus x20's skeletons hold 577,000 of them, and this
    runs while planning."""
    kind = type(node)
    if kind is dict:
        return {
            (seen(k, k) if type(k) is str else k): (
                seen(v, v) if type(v) is str else _tree(v, seen) if type(v) in _NESTED else v
            )
            for k, v in node.items()
        }
    if kind is list:
        return [
            seen(v, v) if type(v) is str else _tree(v, seen) if type(v) in _NESTED else v
            for v in node
        ]
    return seen(node, node) if kind is str else node
