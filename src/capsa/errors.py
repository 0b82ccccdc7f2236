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
