"""Shared pieces of the adversarial suite: the CLI as a user runs it, the canary value
that stands for a secret, bounded Hypothesis settings, and the checks every case ends
with (exit code, no traceback, no canary anywhere). Fixtures are in conftest.py."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, settings
from typer.testing import CliRunner, Result

from capsa.cli.main import app


def bounded(examples: int) -> settings:
    """Deterministic, bounded property tests: the same `examples` on every run and machine,
    no example database, no wall-clock deadline."""
    return settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


CANARY = "CANARY-SECRET-9f1c2e"
"""A value that stands for a secret: it must never appear in any output."""

RUNNER = CliRunner()

GOOD_MODEL = Path(__file__).resolve().parents[1] / "model" / "fixtures" / "small.yaml"
WORKERS = """apiVersion: infrastructure.cluster.x-k8s.io/v1beta2
kind: AWSMachineTemplate
metadata: {name: workers, namespace: team-a}
spec:
  template:
    spec: {instanceType: t3.large}
"""


def run(*args: str, stdin: bytes | str | None = None) -> Result:
    return RUNNER.invoke(app, list(args), input=stdin)


def assert_unusable(result: Result, *words: str) -> None:
    """Exit 2, an `error:` on standard error, no traceback, no canary."""
    assert result.exit_code == 2, (result.exit_code, result.output)
    assert_clean(result)
    assert "error:" in result.stderr, result.stderr
    for word in words:
        assert word in result.stderr, result.stderr


def assert_clean(result: Result) -> None:
    """No Python exception escaped, no traceback printed, no canary in any output."""
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert "Traceback" not in result.output
    assert CANARY not in result.stdout and CANARY not in result.stderr


def assert_no_canary_in(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            assert CANARY.encode() not in path.read_bytes(), path
