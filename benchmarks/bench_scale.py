"""Scale: the shared corpus copied x1, x5 and x20, scanned every way, each run in a fresh
process so its peak memory is its own.

Prints, per size and in one run: PyYAML's C loader parsing the same files plus the
ClusterResourceSet payloads capsa parses (the floor; its process imports PyYAML only),
the scan that keeps the whole input and its topology (`keep_topology=True`, as every
scan ran before grouping and a `--cluster` run still does), the grouped scan serially (as
a library call and as the `capsa scan --jobs 1` command, its terminal report written to
/dev/null; for an input small enough to be held in memory between the passes, also with
every record pickled and compressed, as a larger input's are; and with every record
written to disk, as an input beyond the spill's memory bound) and with `--jobs 2`, and a warm
incremental re-scan after editing one file (`--cache-dir`, cold run first), and the
whole `capsa assess` pipeline writing every report (once per size); wall time,
ratio to the floor measured in the same run, and peak RSS (`resource.getrusage`: the
process itself, and its largest worker). checkov on the same folder when installed
(`make bench-deps` puts it in `.venv-bench`; run offline, see `bench_scan.checkov_command`),
with its own time, CPU and peak. The load average is printed with each size: the
machine may be shared, and CPU time is the steadier figure then.

With CAPSA_SCALE_INSTRUCTIONS=1 and valgrind installed, it also counts the instructions
the floor and the grouped serial scan retire (cachegrind; about fifty times slower than
a plain run, so x20 takes some twenty minutes) and prints their ratio, which the
machine's speed does not move.

Sizes: CAPSA_SCALE_COPIES (default "1,5,20"); rounds per measure: CAPSA_SCALE_ROUNDS
(default 1; rounds are interleaved across measures and the fastest of each is kept;
with several rounds, the median of the serial scan's CPU ratio to the floor measured
just before it in the same round is printed too, a ratio slow drift cannot skew).
On a shared machine timings are noisy: compare the ratios of one run, and repeat.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.bench_scan import CORPUS, checkov_binary, replicate
from capsa.scan.grouped import HOLD_BYTES

ROOT = Path(__file__).resolve().parents[1]

_CHILD = """
import json, resource, sys, time
sys.path.insert(0, {root!r})
from pathlib import Path
folder, how = {folder!r}, {how!r}
start = time.perf_counter()
if how == "cloader":
    from benchmarks.floor import c_loader_parse
    files = sorted(p for p in Path(folder).rglob("*") if p.suffix in (".yaml", ".yml"))
    c_loader_parse(files, payloads=True)
elif how == "cli":
    import contextlib, os
    sys.argv = ["capsa", "scan", folder, "--jobs", "1"]
    from capsa.cli.main import run
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
        try:
            run()
        except SystemExit:
            pass  # exit 1: findings
elif how == "assess":
    import contextlib, os, tempfile
    from capsa.cli.main import run
    with tempfile.TemporaryDirectory(prefix="capsa-assess-") as out:
        sys.argv = ["capsa", "assess", folder, "-o", out]
        with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
            with contextlib.redirect_stderr(sink):
                try:
                    run()
                except SystemExit:
                    pass  # exit 1: open findings
elif how == "checkov":
    import subprocess
    from benchmarks.bench_scan import checkov_binary, checkov_command
    argv, env = checkov_command(checkov_binary(), Path(folder))
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
else:
    from capsa.scan.service import ScanRequest, scan
    if how in ("scan-packed", "scan-on-disk"):
        import capsa.scan.grouped
        capsa.scan.grouped.HOLD_BYTES = -1  # pickle every record, however small the input
    if how == "scan-on-disk":
        import capsa.scan.spill
        capsa.scan.spill.MEMORY_BYTES = 0  # and write every one, as beyond the bound
    options = {options!r}
    result = scan(ScanRequest(paths=[folder], **options))
seconds = time.perf_counter() - start
me = resource.getrusage(resource.RUSAGE_SELF)
kids = resource.getrusage(resource.RUSAGE_CHILDREN)
cpu = me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime
print(json.dumps({{"seconds": seconds, "cpu": cpu, "self": me.ru_maxrss // 1024,
                  "child": kids.ru_maxrss // 1024}}))
"""


_CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
"""Children run on compiled bytecode, as an installed capsa does (pip compiles it at
install time), whatever the calling shell says about writing bytecode."""


def compile_bytecode() -> None:
    """Compile capsa and the benchmarks (`compileall` refreshes only what changed), so no
    measured process pays for compiling sources on import."""
    folders = [str(ROOT / "src" / "capsa"), str(ROOT / "benchmarks")]
    subprocess.run([sys.executable, "-m", "compileall", "-q", *folders], check=True, env=_CHILD_ENV)


def _child_code(folder: Path, how: str, options: dict[str, object] | None) -> str:
    return _CHILD.format(root=str(ROOT), folder=str(folder), how=how, options=options or {})


def measure(folder: Path, how: str, options: dict[str, object] | None = None) -> dict[str, float]:
    """One run in a fresh interpreter: seconds, peak RSS of it and of its largest child."""
    out = subprocess.run(
        [sys.executable, "-c", _child_code(folder, how, options)],
        capture_output=True,
        text=True,
        check=True,
        timeout=3600,
        env=_CHILD_ENV,
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def instructions(folder: Path, how: str, options: dict[str, object] | None = None) -> int:
    """Instructions the run retires in user space, counted by valgrind's cachegrind: a
    measure the machine's speed does not move (it leaves out kernel work and memory
    stalls, so it complements CPU time rather than replacing it)."""
    with tempfile.TemporaryDirectory(prefix="capsa-cachegrind-") as tmp:
        counts = Path(tmp) / "counts"
        subprocess.run(
            [
                "valgrind",
                "--tool=cachegrind",
                "--cache-sim=no",
                f"--cachegrind-out-file={counts}",
                sys.executable,
                "-c",
                _child_code(folder, how, options),
            ],
            capture_output=True,
            check=True,
            timeout=7200,
            env=_CHILD_ENV,
        )
        for line in counts.read_text(encoding="utf-8").splitlines():
            if line.startswith("summary:"):
                return int(line.split()[1])
    raise RuntimeError(f"cachegrind wrote no summary for {how} on {folder}")


Spec = tuple[str, dict[str, object]]


def fastest(rounds: int, folder: Path, specs: list[Spec]) -> list[dict[str, float]]:
    """Each spec's fastest of `rounds` runs (with its own peak memory), and under
    "paired" the median over rounds of its CPU time over the floor's of the same round
    (the first spec). Rounds are interleaved, the floor's included: a shared machine's
    speed drifts over minutes, and runs of one measure back to back would all land in
    one phase of it; a ratio within one round cancels a drift slower than the round."""
    found: list[dict[str, float] | None] = [None] * len(specs)
    paired: list[list[float]] = [[] for _ in specs]
    for _ in range(rounds):
        floor_cpu = 0.0
        for at, (how, options) in enumerate(specs):
            run = measure(folder, how, options)
            floor_cpu = floor_cpu or run["cpu"]
            paired[at].append(run["cpu"] / floor_cpu)
            kept = found[at]
            if kept is None or run["seconds"] < kept["seconds"]:
                found[at] = run
    kept_runs = [run for run in found if run is not None]
    for run, ratios in zip(kept_runs, paired, strict=True):
        run["paired"] = statistics.median(ratios)
    return kept_runs


def _edit_one(folder: Path) -> None:
    """Change one manifest the way a user would: a value of a cluster's infrastructure."""
    for path in sorted(folder.rglob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        if "kind: AWSCluster\n" in text and "region:" in text:
            path.write_text(text.replace("region:", "region: eu-west-1 #", 1), encoding="utf-8")
            return
    first = sorted(folder.rglob("*.yaml"))[0]
    first.write_text(first.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"


def _line(label: str, run: dict[str, float], floor: dict[str, float], tool: bool = False) -> str:
    """One measure; `tool`: an outside program, whose peak is the wrapper's child's."""
    peak = run["child"] if tool else run["self"]
    workers = f"  workers {run['child']:4.0f} MB" if run["child"] and not tool else ""
    return (
        f"  {label:<27}{run['seconds']:7.2f} s {run['seconds'] / floor['seconds']:5.2f}x"
        f" {run['cpu']:7.2f} s {run['cpu'] / floor['cpu']:5.2f}x"
        f"  peak {peak:4.0f} MB{workers}"
    )


def main() -> None:
    if not CORPUS.is_dir():
        print(f"corpus not found at {CORPUS}; scale benchmark skipped")
        return
    sizes = [int(n) for n in os.environ.get("CAPSA_SCALE_COPIES", "1,5,20").split(",")]
    rounds = int(os.environ.get("CAPSA_SCALE_ROUNDS", "1"))
    print("scale: wall and CPU time (process and workers), each with its ratio to the C loader")
    print("(files + CRS payloads) in the same run, and peak RSS; CPU ratios are the steadier")
    print("on a shared machine")
    checkov = checkov_binary()
    counting = os.environ.get("CAPSA_SCALE_INSTRUCTIONS") == "1" and shutil.which("valgrind")
    compile_bytecode()
    print("each measure runs in a fresh interpreter with compiled bytecode; the floor")
    print("imports PyYAML only, capsa's runs include importing capsa")
    for copies in sizes:
        with tempfile.TemporaryDirectory(prefix="capsa-scale-") as tmp:
            folder = Path(tmp) / "repo"
            files = replicate(CORPUS, folder, copies)
            before = _load()
            held = sum(f.stat().st_size for f in files) <= HOLD_BYTES
            specs: list[Spec] = [
                ("cloader", {}),
                ("scan", {"keep_topology": False}),
                ("scan", {"keep_topology": True}),
                ("cli", {}),
                ("scan", {"keep_topology": False, "jobs": 2}),
            ]
            if held:
                specs.append(("scan-packed", {"keep_topology": False}))
            specs.append(("scan-on-disk", {"keep_topology": False}))
            floor, serial, whole, cli, jobs2, *rest, on_disk = fastest(rounds, folder, specs)
            packed = rest[0] if rest else None
            cache = {"keep_topology": False, "cache_dir": str(Path(tmp) / "cache")}
            cold = measure(folder, "scan", cache)
            _edit_one(folder)
            warm = measure(folder, "scan", cache)
            assessed = measure(folder, "assess")
            baseline = measure(folder, "checkov", {}) if checkov is not None else None
            print(f"x{copies}: {len(files)} files; {before} before, {_load()} after")
            print(_line("C loader + CRS payloads", floor, floor))
            print(_line("whole scan (topology kept)", whole, floor))
            print(_line("grouped scan, serial", serial, floor))
            if rounds > 1:
                print(
                    f"    CPU ratio within a round, median of {rounds}:"
                    f" serial {serial['paired']:.2f}x, CLI {cli['paired']:.2f}x"
                )
            print(_line("  capsa scan --jobs 1 (CLI)", cli, floor))
            if packed is not None:
                print(_line("  the same, records packed", packed, floor))
            print(_line("  the same, records on disk", on_disk, floor))
            print(_line("grouped scan, --jobs 2", jobs2, floor))
            print(_line("cold run with --cache-dir", cold, floor))
            print(_line("warm re-scan after 1 edit", warm, floor))
            print(_line("capsa assess, every report", assessed, floor))
            if baseline is None:
                print("  checkov not installed (make bench-deps installs it); not measured")
            else:
                print(_line("checkov --skip-download", baseline, floor, tool=True))
                print(
                    f"  {'capsa serial vs checkov':<27}"
                    f"{baseline['seconds'] / serial['seconds']:7.2f}x faster (wall) "
                    f"{baseline['cpu'] / serial['cpu']:5.2f}x (CPU)"
                )
            if counting:
                floor_count = instructions(folder, "cloader")
                serial_count = instructions(folder, "scan", {"keep_topology": False})
                print(
                    f"  {'instructions (cachegrind)':<27}floor {floor_count / 1e9:6.2f} G,"
                    f" grouped serial {serial_count / 1e9:6.2f} G:"
                    f" {serial_count / floor_count:5.2f}x"
                )


if __name__ == "__main__":
    main()
