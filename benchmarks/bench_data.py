"""Loading the shipped data files through capsa.datafile, against parsing the same texts.

Every catalogue-like file (the built-in model, threat catalogue, rules, techniques, check
files, live checks) is read through one loader that keeps line positions, validates each
entry into frozen pydantic models and checks ids against the parsed catalogue. The
baseline, measured in the same process, is parsing the same texts with PyYAML's C loader
into plain dicts: the least any YAML-based loader pays. The rules' CEL is compiled on
every load (the checks' is compiled once per process and then reused); running the
inline examples is not part of either number.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

REPEATS = 10


def _best(action: Callable[[], Any]) -> float:
    best = float("inf")
    for _ in range(REPEATS):
        start = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - start)
    return best


def _texts() -> list[str]:
    package = resources.files("capsa")
    files = [
        package / "model" / "builtin" / "capi-aws.yaml",
        package / "threats" / "data" / "catalogue.yaml",
        package / "threats" / "data" / "rules.yaml",
        package / "graph" / "data" / "techniques.yaml",
        package / "live" / "checks.yaml",
    ]
    checks = sorted(Path(str(package / "checks" / "data")).glob("*.yaml"))
    return [f.read_text("utf-8") for f in files] + [c.read_text("utf-8") for c in checks]


def _load_everything() -> None:
    from capsa.checks.catalog import load_checks
    from capsa.graph.techniques import load_techniques
    from capsa.live.catalog import load_live_checks
    from capsa.model.loader import load_model
    from capsa.threats import catalogue
    from capsa.threats.rules import load_rules

    catalogue._parsed_builtin.cache_clear()
    catalogue.builtin_ids.cache_clear()
    catalogue.load_catalogue(load_model("builtin:capi-aws"))
    load_rules()
    load_techniques()
    load_live_checks()
    load_checks()


def main() -> None:
    texts = _texts()
    baseline = _best(lambda: [yaml.load(t, Loader=yaml.CSafeLoader) for t in texts])
    _load_everything()  # first run: imports, the live registry, CEL compilation of checks
    elapsed = _best(_load_everything)
    size = sum(len(t) for t in texts) / 1024
    print(
        f"data: {len(texts)} data files ({size:.0f} KiB) loaded, validated and id-checked in "
        f"{elapsed * 1000:.0f} ms; PyYAML C-loader parse baseline {baseline * 1000:.0f} ms; "
        f"ratio {elapsed / baseline:.1f}x"
    )


if __name__ == "__main__":
    main()
