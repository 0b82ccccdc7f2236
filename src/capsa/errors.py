"""Problems in user input, reported with a location instead of a traceback."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from capsa.display import shown


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with an input: where it is and what to do about it. A note
    (`is_note`) is something skipped on purpose, such as a YAML file that is not a
    Kubernetes object: told to the user, never counted as an input error. The message
    never holds capsa's marker for an unresolved clusterctl variable: it reads `${VAR}`."""

    path: str
    line: int | None
    column: int | None
    message: str
    is_note: bool = False

    def __post_init__(self) -> None:
        # the one place a problem's text is made: an unresolved clusterctl variable in a
        # name it quotes reads `${VAR}`, never capsa's marker (`capsa.display.shown`)
        object.__setattr__(self, "message", shown(self.message))

    def __str__(self) -> str:
        where = self.path
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return f"{where}: {self.message}"


class InputError(Exception):
    """Raised when an input cannot be used; carries every problem found, not only the first."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = sorted(problems, key=lambda p: (p.path, p.line or 0, p.column or 0))
        super().__init__("\n".join(str(p) for p in self.problems))


SHAPE_ERRORS = (TypeError, AttributeError, KeyError, IndexError, ValueError, RecursionError)
"""What reading a field of an unexpected type raises. An analysis across objects catches
these per object (`left_out`), so one object capsa cannot read costs that object, not
the whole run's findings; its shape checks (`capsa.sources.shapes`) should have said what
was wrong first, and this problem says that one was missed."""


def left_out(path: str, line: int | None, what: str, analysis: str) -> Problem:
    """The problem of an object (`what`: Kind/name) an analysis could not read: where it
    is, and what it is left out of. Counted as an input error."""
    return Problem(
        path,
        line,
        None,
        f"{what} has a field of a type capsa cannot read; the object is left out of {analysis}",
    )
