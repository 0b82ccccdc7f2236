"""Data files shipped in the package must say what their authors wrote.

In YAML, ` #` inside a plain scalar starts a comment, so a note such as `PR #12814`
silently loses its tail. Data files therefore keep comments on their own lines.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parents[1] / "src" / "capsa"
DATA_FILES = sorted(
    p for p in PACKAGE.rglob("*.yaml") if "examples" not in p.parts and "templates" not in p.parts
)
INLINE_COMMENT = re.compile(r"\S\s+#")


def _quoted_spans(line: str) -> list[tuple[int, int]]:
    return [m.span() for m in re.finditer(r"\"(?:[^\"\\]|\\.)*\"|'(?:[^']|'')*'", line)]


@pytest.mark.parametrize("path", DATA_FILES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_inline_comment_truncates_a_value(path: Path) -> None:
    offenders = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.lstrip().startswith("#"):
            continue
        quoted = _quoted_spans(line)
        for match in INLINE_COMMENT.finditer(line):
            hash_at = match.end() - 1
            if not any(start < hash_at < end for start, end in quoted):
                offenders.append(f"{path.name}:{number}: {line.strip()}")
    assert not offenders, "inline ' #' would cut the value short:\n" + "\n".join(offenders)


def test_there_are_data_files() -> None:
    assert len(DATA_FILES) >= 3
