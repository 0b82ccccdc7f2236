"""Run a benchmark module by short name: `python -m benchmarks live` runs bench_live.main()."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path


def _names() -> list[str]:
    here = str(Path(__file__).parent)
    return sorted(
        m.name[len("bench_") :] for m in pkgutil.iter_modules([here]) if m.name.startswith("bench_")
    )


def main(argv: list[str]) -> int:
    names = argv or _names()
    for name in names:
        if name not in _names():
            print(f"unknown benchmark {name!r}; known: {', '.join(_names())}", file=sys.stderr)
            return 2
        importlib.import_module(f"benchmarks.bench_{name}").main()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
