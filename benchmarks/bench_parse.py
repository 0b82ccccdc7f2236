"""Manifest reading speed: the shared corpus replicated x20, read with `read_manifests`.

Reports documents per second and the ratio to the floor any YAML reader pays: reading
the same files and parsing them with PyYAML's C loader alone (`yaml.load_all` with
`CSafeLoader`, no positions, substitution, guards or resources). The aim is within 3x.
When `checkov` is on PATH, the ratio to `checkov --framework kubernetes` over the same
directory is reported too (aim: capsa at least 10x faster).
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from benchmarks.floor import c_loader_parse
from capsa.sources.files import read_manifests

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
COPIES = 20
ROUNDS = 2
T = TypeVar("T")


def _replicate(target: Path) -> list[Path]:
    files: list[Path] = []
    sources = sorted(p for p in CORPUS.rglob("*") if p.suffix in (".yaml", ".yml"))
    for copy in range(COPIES):
        for source in sources:
            dest = target / f"copy{copy:02d}" / source.relative_to(CORPUS)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, dest)
            files.append(dest)
    return files


def _best(run: Callable[[], T], rounds: int = ROUNDS) -> tuple[float, T]:
    best = float("inf")
    value = run()  # warm-up, also the value returned
    for _ in range(rounds):
        started = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - started)
    return best, value


def _checkov_seconds(folder: Path) -> float | None:
    from benchmarks.bench_scan import run_checkov

    return run_checkov(folder)


def main() -> None:
    if not (CORPUS / "index.json").is_file():
        print(f"bench_parse: corpus not found at {CORPUS}; skipped")
        return
    with tempfile.TemporaryDirectory(prefix="capsa-bench-") as tmp:
        folder = Path(tmp)
        files = _replicate(folder)
        size = sum(p.stat().st_size for p in files)
        plain_s, plain_docs = _best(lambda: c_loader_parse(files, payloads=False))
        payload_s, _ = _best(lambda: c_loader_parse(files, payloads=True))
        capsa_s, result = _best(lambda: read_manifests([str(folder)]))
        docs = result.documents_read
        resources = len(result.resources)
        print(f"bench_parse: {len(files)} files, {size / 1e6:.1f} MB (corpus x{COPIES})")
        print(f"  PyYAML CSafeLoader only : {plain_docs} documents in {plain_s:.2f}s "
              f"= {plain_docs / plain_s:,.0f} documents/s")  # fmt: skip
        print(f"  capsa read_manifests    : {docs} documents ({resources} resources incl. "
              f"embedded) in {capsa_s:.2f}s = {docs / capsa_s:,.0f} documents/s")  # fmt: skip
        print(f"  C loader + payloads     : {payload_s:.2f}s (also parsing the payloads of "
              "ConfigMaps/Secrets that ClusterResourceSets ship, as capsa does)")  # fmt: skip
        for label, base in (("files only", plain_s), ("files + payloads", payload_s)):
            ratio = capsa_s / base
            verdict = "within" if ratio <= 3 else "over"
            print(f"  ratio vs C loader, {label:<16}: {ratio:.2f}x ({verdict} the 3x aim)")
        checkov_s = _checkov_seconds(folder)
        if checkov_s is None:
            print("  checkov                 : not installed; ratio not measured")
        else:
            print(
                f"  checkov kubernetes      : {checkov_s:.2f}s; capsa is {checkov_s / capsa_s:.1f}x faster"
            )


if __name__ == "__main__":
    main()
    sys.exit(0)
