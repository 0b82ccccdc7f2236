"""Running what users run: subprocesses, and the `run:` steps of action.yml as a GitHub
runner would run them."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]


def run(args: list[str], **options: Any) -> subprocess.CompletedProcess[str]:
    options.setdefault("capture_output", True)
    options.setdefault("text", True)
    options.setdefault("timeout", 900)
    return subprocess.run(args, check=False, **options)


def action() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "action.yml").read_text())
    return loaded


def step(name: str) -> dict[str, Any]:
    return next(s for s in action()["runs"]["steps"] if s.get("name") == name)


def run_step(
    name: str,
    inputs: dict[str, str],
    runner_temp: Path,
    cwd: Path,
    path: str | None = None,
    outputs: dict[str, str] | None = None,
) -> tuple[subprocess.CompletedProcess[str], dict[str, str], list[str]]:
    """Run one `run:` step of action.yml as the runner would: its env with the `${{ }}`
    expressions filled from the inputs (defaults from action.yml), GITHUB_OUTPUT and
    GITHUB_PATH as files. Returns the process, the outputs it set and the PATH it added."""
    spec = step(name)
    script = spec["run"]
    assert "${{" not in script, "expressions belong in env:, never in the script"
    defaults = {k: str(v.get("default", "")) for k, v in action()["inputs"].items()}
    values = {**defaults, **inputs}
    known = {f"inputs.{k}": v for k, v in values.items()}
    known["github.action_path"] = str(ROOT)
    known.update({f"steps.run.outputs.{k}": v for k, v in (outputs or {}).items()})
    env = dict(os.environ)
    for key, template in spec.get("env", {}).items():
        expression = template.strip().removeprefix("${{").removesuffix("}}").strip()
        env[key] = known.get(expression, "")
    output_file, path_file = runner_temp / "github_output", runner_temp / "github_path"
    output_file.write_text("")
    path_file.write_text("")
    env.update(
        RUNNER_TEMP=str(runner_temp), GITHUB_OUTPUT=str(output_file), GITHUB_PATH=str(path_file)
    )
    if path is not None:
        env["PATH"] = f"{path}{os.pathsep}{env['PATH']}"
    process = run(["bash", "-e", "-c", script], env=env, cwd=cwd)
    set_outputs = dict(
        line.split("=", 1) for line in output_file.read_text().splitlines() if "=" in line
    )
    return process, set_outputs, path_file.read_text().split()
