"""What the cloud checks' IAM questions cost on first use: capsa's shipped action table
against policy_sentry's database, which capsa read before (the baseline).

Each side runs in a fresh process, so the load is cold and the peak memory its own: it
asks what a scan of a CAPA bootstrap template asks (an action's spelling and access level,
a service wildcard, `*`), timing the first answers (the table's or database's load
included), with tracemalloc's peak over them and the process's peak RSS. A third process
only imports capsa.cloud.iam, which both sides load first, for the RSS they share. policy_sentry is a
development dependency; without it the baseline is skipped with one line.
"""

from __future__ import annotations

import json
import subprocess
import sys

# capsa.cloud.iam (and the fact types it imports) is loaded before either side starts:
# both paid it; what differs is what answering needs after it.
_QUESTIONS = """
import json, resource, sys, time, tracemalloc
import capsa.cloud.iam
traced = sys.argv[1] == "traced"
if traced:
    tracemalloc.start()
start = time.perf_counter()
{ask}
elapsed = time.perf_counter() - start
peak = tracemalloc.get_traced_memory()[1] if traced else 0
print(json.dumps({{"seconds": elapsed, "traced": peak,
                   "rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                   "answers": answers}}))
"""

_CAPSA = """
from capsa.cloud.iam import access_level, canonical, expand
answers = [canonical("EC2:runinstances"), access_level("iam:PassRole"),
           len(expand("ec2:Describe*")), len(expand("*"))]
"""

_SENTRY = """
from policy_sentry.analysis.expand import expand
from policy_sentry.querying.actions import get_privilege_info
from policy_sentry.shared.iam_data import get_service_prefix_data
answers = [
    "ec2:" + get_service_prefix_data("ec2")["privileges_lower_name"]["runinstances"],
    get_privilege_info("iam", "PassRole")["access_level"],
    len(expand("ec2:Describe*")), len(expand("*")),
]
"""

_NOTHING = "answers = []"


def _once(ask: str, mode: str) -> dict[str, object]:
    code = _QUESTIONS.format(ask=ask.strip())
    done = subprocess.run(
        [sys.executable, "-c", code, mode], capture_output=True, text=True, check=True
    )
    measured: dict[str, object] = json.loads(done.stdout)
    return measured


def _run(ask: str) -> dict[str, object]:
    """Time and RSS from a process without tracemalloc (which slows allocation), the
    traced peak from a second one."""
    measured = _once(ask, "timed")
    measured["traced"] = _once(ask, "traced")["traced"]
    return measured


def _line(name: str, m: dict[str, object], idle: dict[str, object]) -> str:
    extra = int(str(m["rss_kib"])) - int(str(idle["rss_kib"]))
    return (
        f"  {name:<13} {float(str(m['seconds'])) * 1000:7.1f} ms  "
        f"traced peak {int(str(m['traced'])) / 2**20:6.1f} MiB  "
        f"peak RSS {int(str(m['rss_kib'])) / 1024:6.1f} MiB (+{extra / 1024:.1f} over loading iam.py)"
    )


def main() -> None:
    idle = _run(_NOTHING)
    capsa = _run(_CAPSA)
    print("iam: first answers to the cloud checks' IAM questions, each in a fresh process")
    print(_line("capsa table", capsa, idle))
    try:
        sentry = _run(_SENTRY)
    except subprocess.CalledProcessError as failed:
        if "No module named 'policy_sentry'" in failed.stderr:
            print("  policy_sentry is not installed (pip install -e '.[dev]'): no baseline")
            return
        raise
    print(_line("policy_sentry", sentry, idle))
    same = "same answers" if capsa["answers"] == sentry["answers"] else "DIFFERENT answers"
    ratio = float(str(sentry["seconds"])) / float(str(capsa["seconds"]))
    print(f"  table {ratio:.0f}x faster than the database on first use; {same}")


if __name__ == "__main__":
    main()
