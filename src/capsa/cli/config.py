"""The project configuration: defaults a team keeps next to its manifests, so every run in
CI and on a laptop uses the same fail-on, selection, variables and ignore file.

Looked up from the scanned path upwards (the first PATH, else the working directory) to
the repository root (the first folder holding `.git`): in each folder `.capsa.yaml` (or
`.capsa.yml`) first, then `[tool.capsa]` of `pyproject.toml`; the nearest one wins and
only one is read. `--config FILE` names one explicitly. Command-line options override it;
`capsa config show` prints each effective setting and where it came from.

Keys are camelCase in YAML; pyproject.toml may write them kebab-case (`fail-on`). Paths
in the file (`ignoreFile`, `varsFiles`, `baseline`, `root`) are relative to the file's
folder: `root: .` in a repository's `.capsa.yaml` reports every location from the
repository's top.

Those paths must lie inside the tree the file governs: the repository it is in (the
nearest folder above it holding `.git`), else its own folder; symlinks are followed
before the check, and nothing under `.git` is allowed. A pull request can change both
the configuration and the manifests, so a `varsFiles: [../../.aws/credentials]` (or
`.git/config`, where CI checkouts keep their token) would otherwise let a manifest name
like `x-${AWS_SECRET_ACCESS_KEY}` print a credential of the machine running the scan.
Such a path is a located error naming the key; the same file given on the command line
(`--vars-file`, `--ignore-file`, `--baseline`, `--root`) is allowed anywhere.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import Field, ValidationError

from capsa.cli.common import DEFAULT_IGNORE_FILE
from capsa.cli.options import FailOn
from capsa.datafile import DataFile
from capsa.display import display_path
from capsa.errors import InputError, Problem
from capsa.frozen import FrozenModel
from capsa.reader import MAX_DATA_FILE_BYTES, read_text
from capsa.sources.root import shown_path

if TYPE_CHECKING:
    from capsa.scan.selection import Selection

YAML_NAMES = (".capsa.yaml", ".capsa.yml")
PYPROJECT = "pyproject.toml"


class ConfigFile(FrozenModel):
    """What `.capsa.yaml` / `[tool.capsa]` may set (every key optional)."""

    fail_on: FailOn | None = None
    severity: str | None = Field(default=None, pattern="^(low|medium|high|critical)$")
    checks: list[str] | None = None
    skip_checks: list[str] | None = None
    skip_paths: list[str] | None = None
    variables: dict[str, str] | None = None
    vars_files: list[str] | None = None
    ignore_file: str | None = None
    baseline: str | None = None
    root: str | None = None


# setting name (as printed and in the file) -> ConfigFile attribute
SETTINGS = {
    "failOn": "fail_on",
    "severity": "severity",
    "checks": "checks",
    "skipChecks": "skip_checks",
    "skipPaths": "skip_paths",
    "variables": "variables",
    "varsFiles": "vars_files",
    "ignoreFile": "ignore_file",
    "baseline": "baseline",
    "root": "root",
}
_PATH_SETTINGS = ("ignore_file", "baseline", "root")
# the file paths a configuration names: setting, and the option that may name it instead
_CONFINED = {
    "varsFiles": "--vars-file",
    "ignoreFile": "--ignore-file",
    "baseline": "--baseline",
    "root": "--root",
}


@dataclass(frozen=True)
class Setting:
    value: Any
    source: str  # "default", "command line", or the file (and table) it was read from


@dataclass(frozen=True)
class Config:
    """The effective settings of one run and where each came from."""

    settings: Mapping[str, Setting]
    file: str | None = None  # the configuration file read, if any

    def value(self, name: str) -> Any:
        return self.settings[name].value


def _is_repository_root(folder: Path) -> bool:
    return (folder / ".git").exists()


def find_config(start: Path) -> Path | None:
    """The nearest configuration file from `start` upwards to the repository root."""
    folder = start if start.is_dir() else start.parent
    folder = folder.absolute()
    for candidate in (folder, *folder.parents):
        for name in YAML_NAMES:
            if (candidate / name).is_file():
                return candidate / name
        pyproject = candidate / PYPROJECT
        if pyproject.is_file() and _has_tool_table(pyproject):
            return pyproject
        if _is_repository_root(candidate):
            return None
    return None


def _has_tool_table(path: Path) -> bool:
    try:
        text = read_text(path, what="pyproject.toml", limit=MAX_DATA_FILE_BYTES)
        data = tomllib.loads(text)
    except (InputError, tomllib.TOMLDecodeError):
        return False
    tool = data.get("tool")
    return isinstance(tool, dict) and isinstance(tool.get("capsa"), dict)


def _camel(key: str) -> str:
    return re.sub(r"-([a-z])", lambda m: m.group(1).upper(), key)


def governed_tree(config: Path) -> Path:
    """The folder a configuration file governs: its repository's top (the nearest folder
    holding `.git`), else the file's own folder."""
    folder = config.absolute().parent
    for candidate in (folder, *folder.parents):
        if _is_repository_root(candidate):
            return candidate
    return folder


def _outside(tree: Path, base: Path, value: str) -> str | None:
    """Why the path `value` (relative to `base`) may not be named by a configuration file
    governing `tree`; None when it may."""
    top, target = tree.resolve(), (base / value).resolve()
    if not target.is_relative_to(top):
        return f"lies outside {display_path(tree)}, the folder this file governs"
    if ".git" in target.relative_to(top).parts:
        return "lies inside .git"
    return None


def _confinement_problems(path: Path, loaded: ConfigFile, locate: Any, shown: str) -> list[Problem]:
    """A problem for each path the file names outside the tree it governs (see the module
    docstring); `locate(setting, index)` gives the line of an entry, or None."""
    tree, base = governed_tree(path), path.absolute().parent
    problems: list[Problem] = []
    for name, option in _CONFINED.items():
        value = getattr(loaded, SETTINGS[name])
        entries = value if isinstance(value, list) else [] if value is None else [value]
        for index, entry in enumerate(entries):
            why = _outside(tree, base, entry)
            if why is None:
                continue
            at = index if isinstance(value, list) else None
            message = (
                f"{name}: {display_path(entry)} {why}; a configuration file may only name "
                f"files in its own repository (a pull request can change it). Give it on "
                f"the command line instead: {option} {display_path(entry)}"
            )
            problems.append(Problem(shown, locate(name, at), None, message))
    return problems


def load_file(path: Path) -> tuple[ConfigFile, str]:
    """The settings of one file and the label its settings are attributed to."""
    shown = shown_path(path)
    if path.name == PYPROJECT:
        text = read_text(path, what="pyproject.toml", limit=MAX_DATA_FILE_BYTES)
        try:
            table = tomllib.loads(text).get("tool", {}).get("capsa", {})
        except tomllib.TOMLDecodeError as error:
            raise InputError([Problem(shown, None, None, f"not valid TOML: {error}")]) from None
        data = {_camel(str(k)): v for k, v in table.items()}
        try:
            loaded = ConfigFile.model_validate(data)
        except ValidationError as error:
            problems = [
                Problem(
                    shown,
                    None,
                    None,
                    f"[tool.capsa] {'.'.join(str(p) for p in e['loc'])}: {e['msg']}",
                )
                for e in error.errors()
            ]
            raise InputError(problems) from None
        refused = _confinement_problems(path, loaded, lambda _name, _at: None, shown)
        if refused:
            raise InputError(refused)
        return loaded, f"{shown} [tool.capsa]"
    file = DataFile.load(path, what="a capsa configuration file is a YAML mapping", display=shown)
    found = file.validate(ConfigFile)
    file.raise_problems()
    assert found is not None

    def locate(name: str, at: int | None) -> int | None:
        return file.position((name,) if at is None else (name, at))[0]

    refused = _confinement_problems(path, found, locate, shown)
    if refused:
        raise InputError(refused)
    return found, shown


def _relative_to(base: Path, value: Any, attribute: str) -> Any:
    if attribute in _PATH_SETTINGS and isinstance(value, str):
        return str(base / value) if not Path(value).is_absolute() else value
    if attribute == "vars_files" and isinstance(value, list):
        return [str(base / v) if not Path(v).is_absolute() else v for v in value]
    return value


def _defaults(fail_on: FailOn) -> dict[str, Setting]:
    ignore = DEFAULT_IGNORE_FILE if Path(DEFAULT_IGNORE_FILE).is_file() else None
    return {
        "failOn": Setting(fail_on, "default"),
        "severity": Setting("low", "default"),
        "checks": Setting([], "default"),
        "skipChecks": Setting([], "default"),
        "skipPaths": Setting([], "default"),
        "variables": Setting({}, "default"),
        "varsFiles": Setting([], "default"),
        "ignoreFile": Setting(ignore, "default" if ignore is None else "default (./ exists)"),
        "baseline": Setting(None, "default"),
        "root": Setting(None, "default (the folder the PATHs name)"),
    }


def given(
    fail_on: FailOn | None,
    checks: list[str],
    skip_checks: list[str],
    severity: str | None,
    skip_paths: list[str],
    variables: list[str],
    vars_files: list[str],
) -> dict[str, Any]:
    """The settings the options scan and assess share, as `resolve` takes them."""
    from capsa.cli.common import parse_vars

    return {
        "failOn": fail_on,
        "severity": severity,
        "checks": checks,
        "skipChecks": skip_checks,
        "skipPaths": skip_paths,
        "variables": parse_vars(variables),
        "varsFiles": vars_files,
    }


def resolve(
    paths: Sequence[str],
    overrides: Mapping[str, Any],
    *,
    default_fail_on: FailOn,
    config_file: str | None = None,
) -> Config:
    """Defaults, then the configuration file, then the command line (`overrides`: setting
    name -> value, None or empty meaning "not given")."""
    settings = _defaults(default_fail_on)
    start = Path(next((p for p in paths if p != "-"), "."))
    chosen = Path(config_file) if config_file else find_config(start)
    if config_file and not chosen.is_file():  # type: ignore[union-attr]
        raise InputError([Problem(display_path(config_file), None, None, "no such file")])
    file_label = None
    if chosen is not None:
        loaded, file_label = load_file(chosen)
        base = chosen.absolute().parent
        for name, attribute in SETTINGS.items():
            value = getattr(loaded, attribute)
            if value is not None:
                settings[name] = Setting(_relative_to(base, value, attribute), file_label)
        if loaded.ignore_file is None and (base / DEFAULT_IGNORE_FILE).is_file():
            settings["ignoreFile"] = Setting(
                str(base / DEFAULT_IGNORE_FILE), f"default (next to {file_label})"
            )
    for name, value in overrides.items():
        if value is None or value == [] or value == {}:
            continue
        if name == "variables" and settings["variables"].value:
            merged = {**settings["variables"].value, **value}
            settings[name] = Setting(merged, f"command line over {settings[name].source}")
            continue
        settings[name] = Setting(value, "command line")
    return Config(settings, None if chosen is None else shown_path(chosen))


# the selection settings and the option each stands for
_SELECTION_OPTIONS = {
    "checks": "--check",
    "skipChecks": "--skip-check",
    "severity": "--severity",
    "skipPaths": "--skip-path",
}


def selection_of(config: Config, extra_ids: Sequence[str] = ()) -> Selection:
    """The selection of one run, each option with where it was set; a --check or
    --skip-check pattern that names no check (of scan's, or `extra_ids`) is an error."""
    from capsa.scan.selection import Selection, every_check_id, refuse_unknown

    only, skip = config.value("checks"), config.value("skipChecks")
    if only or skip:
        refuse_unknown([*only, *skip], [*every_check_id(), *extra_ids])
    return Selection(
        checks=tuple(only),
        skip_checks=tuple(skip),
        severity=config.value("severity"),
        skip_paths=tuple(config.value("skipPaths")),
        sources={
            option: config.settings[name].source for name, option in _SELECTION_OPTIONS.items()
        },
    )
