"""One reader for every catalogue-like data file: YAML with positions in, typed models out,
every problem reported at once with file:line:column.

Models, threat rules, tracking decisions, the threat catalogue, attack techniques, checks
and live checks are all read the same way: `DataFile.load` parses the text (a YAML error
stops there: nothing after it can be trusted); `validate` and `entries` turn parts of it
into frozen pydantic models, recording a `Problem` for each schema error instead of
stopping; loaders add what a schema cannot say with `report`; `raise_problems` raises one
`InputError` carrying all of them. Entries are validated one by one, so a typo in one
entry does not hide an unknown id in the next.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any, Generic, Literal, TypeVar

import yaml
from pydantic import BaseModel, Field, ValidationError

from capsa import reader
from capsa.display import display_path
from capsa.errors import InputError, Problem
from capsa.frozen import FrozenModel
from capsa.reader import MAX_DATA_FILE_BYTES
from capsa.yamlio import (
    MAX_DEPTH,
    LineDict,
    LineList,
    LineLoader,
    Position,
    TooDeep,
    build_document,
    key_position_of,
    may_have_aliases,
    position_of,
    refusal,
    yaml_problem,
)

Loc = tuple[int | str, ...]
Syntax = Literal["yaml", "json"]
#: Rewrites one raw entry before validation: (the entry to validate, [(where, message)]).
Prepare = Callable[[dict[str, Any]], tuple[dict[str, Any], list[tuple[Loc, str]]]]
"""A path into a document: mapping keys and list indexes."""

M = TypeVar("M", bound=BaseModel)
X = TypeVar("X")

_ROOT: Any = object()


@dataclass(frozen=True)
class Entry(Generic[M]):
    """One validated item of a list in a data file, and where it is written."""

    value: M
    loc: Loc

    @property
    def index(self) -> int:
        last = self.loc[-1]
        assert isinstance(last, int)
        return last


class Examples(FrozenModel, Generic[X]):
    """Inputs an entry is tried on: `fail` ones it must fire on (a finding, a derived
    threat, an edge that exists), `pass` ones it must stay silent on. What one input is
    depends on the kind of entry; the tests run every one."""

    fail: tuple[X, ...] = ()
    pass_: tuple[X, ...] = Field(default=(), alias="pass")

    def by_verdict(self) -> tuple[tuple[str, tuple[X, ...]], tuple[str, tuple[X, ...]]]:
        """(key as written, examples) for `fail` then `pass`."""
        return (("fail", self.fail), ("pass", self.pass_))


def read_text(
    path: str | Path,
    what: str = "file",
    display: str | None = None,
    *,
    limit: int = MAX_DATA_FILE_BYTES,
) -> str:
    """The UTF-8 text of a file through `capsa.reader` (regular files only, size-capped);
    InputError (no traceback) when it cannot be read."""
    return reader.read_text(path, what=what, limit=limit, display=display)


def builtin_text(package: str, *parts: str) -> tuple[str, str]:
    """(display path, text) of a data file shipped inside a capsa package."""
    found = resources.files(package).joinpath(*parts)
    display = "/".join([*package.split("."), *parts])
    return display, found.read_text("utf-8")


class _Refused(Exception):
    """A document the guards refuse to build (`capsa.yamlio.refusal`)."""

    def __init__(self, line: int, why: str) -> None:
        super().__init__(why)
        self.line = line
        self.why = why


class _Repeated(Exception):
    """A mapping that writes a key twice: (key, first position, later position) each."""

    def __init__(self, repeats: list[tuple[Any, Position, Position]]) -> None:
        super().__init__("duplicate keys")
        self.repeats = repeats


def _parse_one(text: str, *, repeats: bool = False) -> Any:
    """One YAML document as a LineDict/LineList tree (yamlio's single-pass builder, a few
    times faster than PyYAML's constructor on these files); None when empty. With
    `repeats`, a key written twice in one mapping raises `_Repeated`."""
    loader = LineLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        aliases = may_have_aliases(text)  # without any, the depth check while building is enough
        why = refusal(node, aliases) if aliases else None
        if why is not None:
            raise _Refused(node.start_mark.line + 1, why.replace("; document skipped", ""))
        found: list[tuple[Any, Position, Position]] | None = [] if repeats else None
        built = build_document(loader, node, max_depth=MAX_DEPTH, aliases=aliases, duplicates=found)
        if found:
            raise _Repeated(found)
        return built
    finally:
        loader.dispose()


def _repeat_problems(path: str, repeats: list[tuple[Any, Position, Position]]) -> InputError:
    """A data file that writes a key twice is refused: a reader keeping the last value
    would silently drop the first (a model's `trusted: false`, and the threats it
    raises)."""
    problems = []
    for key, first, later in repeats:
        shown = repr(str(key)) if len(str(key)) <= 100 else repr(str(key)[:100] + "...")
        message = (
            f"key {shown} is written twice in one mapping (lines {first[0]} and "
            f"{later[0]}); only one can hold: remove or merge the other"
        )
        problems.append(Problem(path, later[0], later[1], message))
    return InputError(problems)


TOO_DEEP = f"nested too deeply (more than {MAX_DEPTH} levels)"


def _parse_yaml(path: str, text: str) -> Any:
    try:
        return _parse_one(text, repeats=True)
    except _Repeated as repeated:
        raise _repeat_problems(path, repeated.repeats) from None
    except yaml.YAMLError as exc:
        raise InputError([yaml_problem(path, exc, text, prefix="YAML syntax error")]) from None
    except _Refused as refused:
        raise InputError([Problem(path, refused.line, None, refused.why)]) from None
    except TooDeep:
        raise InputError([Problem(path, None, None, TOO_DEEP)]) from None


def _parse_json(path: str, text: str) -> Any:
    """JSON as plain containers. Its error texts are constants (`Expecting value`), so
    they are shown; a number over Python's digit limit or nesting past the recursion
    limit is named as such."""
    try:
        return json.loads(text, object_pairs_hook=_unique_pairs)
    except _RepeatedJson:
        # positions come from the text read as YAML, whose syntax holds JSON's
        try:
            _parse_one(text.translate(_YAML_ONLY_BREAKS), repeats=True)
        except _Repeated as repeated:
            raise _repeat_problems(path, repeated.repeats) from None
        except (yaml.YAMLError, _Refused, TooDeep, RecursionError):
            pass
        raise InputError(
            [Problem(path, None, None, "a key is written twice in one object; remove one")]
        ) from None
    except json.JSONDecodeError as exc:
        raise InputError(
            [Problem(path, exc.lineno, exc.colno, f"not valid JSON: {exc.msg}")]
        ) from None
    except RecursionError:
        raise InputError([Problem(path, None, None, TOO_DEEP)]) from None
    except ValueError:
        raise InputError([Problem(path, None, None, "not valid JSON: a number too long")]) from None


class _RepeatedJson(ValueError):
    """A JSON object that writes a key twice."""


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    made = dict(pairs)
    if len(made) != len(pairs):
        raise _RepeatedJson("duplicate key")
    return made


_YAML_ONLY_BREAKS = {0x0D: " ", 0x85: " ", 0x2028: " ", 0x2029: " "}
"""Characters YAML reads as line breaks and JSON does not (JSON counts only newlines):
made spaces, of the same length, before a JSON text is read again for positions."""


@dataclass
class DataFile:
    """A parsed data file (LineDict/LineList tree) and the problems found in it so far."""

    path: str
    root: Any
    problems: list[Problem] = field(default_factory=list)
    # a JSON file's text: JSON is read as plain containers, and read again as YAML (whose
    # syntax holds JSON's) for positions only when a problem first needs a line
    json_text: str | None = field(default=None, repr=False)

    # --- reading ------------------------------------------------------------------------

    @classmethod
    def parse(
        cls,
        path: str,
        text: str,
        *,
        expect: type | None = LineDict,
        what: str = "",
        syntax: Syntax = "yaml",
    ) -> DataFile:
        """Parse `text`; raise InputError when it is not YAML (or, with `syntax="json"`,
        JSON: plain containers, positions read when a problem needs one) or (with
        `expect`) its top level is not a
        mapping (LineDict, or dict for JSON) or list (LineList). An empty document is
        None, accepted only when `expect` is None or LineList (no entries)."""
        root = _parse_json(path, text) if syntax == "json" else _parse_yaml(path, text)
        if expect is not None and not isinstance(root, expect):
            if root is None and expect is LineList:
                root = LineList()
            else:
                shape = "a mapping"
                if expect is LineList or expect is LineDict:
                    shape = "a YAML list" if expect is LineList else "a YAML mapping"
                message = what or f"the file must be {shape}"
                raise InputError([Problem(path, 1, 1, message)])
        return cls(path, root, json_text=text if syntax == "json" else None)

    @classmethod
    def load(
        cls,
        path: str | Path,
        *,
        expect: type | None = LineDict,
        what: str = "",
        display: str | None = None,
        noun: str = "file",
        syntax: Syntax = "yaml",
        limit: int = MAX_DATA_FILE_BYTES,
    ) -> DataFile:
        """Read a file through `capsa.reader` and parse it (see `parse`)."""
        shown = display if display is not None else display_path(path)
        text = read_text(path, noun, shown, limit=limit)
        return cls.parse(shown, text, expect=expect, what=what, syntax=syntax)

    @classmethod
    def builtin(
        cls, package: str, *parts: str, expect: type | None = LineDict, what: str = ""
    ) -> DataFile:
        """Read and parse a data file shipped in a capsa package."""
        display, text = builtin_text(package, *parts)
        return cls.parse(display, text, expect=expect, what=what)

    # --- positions and problems ---------------------------------------------------------

    def position(self, loc: Loc, *, key: bool = False) -> tuple[int | None, int | None]:
        """Line and column of the value at `loc` (of its key with `key`), or of the
        nearest enclosing object that exists."""
        tree = self._positioned
        found = key_position_of(tree, loc) if key else position_of(tree, loc)
        return found if found is not None else (None, None)

    @cached_property
    def _positioned(self) -> Any:
        """The tree positions are read from: the root, or a JSON file's text read as YAML
        (once; the root, with no positions, when the YAML reader refuses the text)."""
        if self.json_text is None:
            return self.root
        try:
            placed = _parse_one(self.json_text.translate(_YAML_ONLY_BREAKS))
        except (yaml.YAMLError, _Refused, TooDeep, RecursionError):
            return self.root
        return self.root if placed is None else placed

    def report(self, loc: Loc, message: str, *, key: bool = False) -> None:
        """Record a problem at `loc`."""
        self.problems.append(Problem(self.path, *self.position(loc, key=key), message))

    def get(self, loc: Loc) -> Any:
        """The raw value at `loc`, or None where the path does not exist."""
        node = self.root
        for step in loc:
            in_mapping = isinstance(node, dict) and step in node
            in_list = isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node)
            if not (in_mapping or in_list):
                return None
            node = node[step]
        return node

    def raise_problems(self) -> None:
        """Raise one InputError with every problem recorded, if there is any."""
        if self.problems:
            raise InputError(self.problems)

    # --- validation ---------------------------------------------------------------------

    def validate(
        self,
        model: type[M],
        data: Any = _ROOT,
        *,
        at: Loc = (),
        prefix: str = "",
        to_file: Callable[[Loc], Loc] | None = None,
    ) -> M | None:
        """`data` (by default the value at `at`) validated into `model`; None, with one
        problem per schema error, when it does not fit. `to_file` maps an error's location
        in `data` to the file's own (for data merged from several sources)."""
        value = self.get(at) if data is _ROOT else data
        try:
            return model.model_validate(value)
        except ValidationError as error:
            self._schema_problems(error, at, prefix, to_file)
            return None

    def entries(
        self,
        model: type[M],
        at: Loc = (),
        *,
        required: bool = True,
        prepare: Prepare | None = None,
    ) -> list[Entry[M]]:
        """Each item of the list at `at`, validated on its own into `model`. Invalid items
        are recorded as problems (named by their `id` when they have one) and left out;
        the valid ones keep their place in the file. `prepare` rewrites a mapping item
        before validation (e.g. expands references to shared parts) and says what in it
        is wrong, as (location inside the item, message)."""
        items = self.get(at)
        if items is None:
            if required and at:
                self.report(at[:-1], f"missing {'.'.join(map(str, at))!r}: add a list")
            return []
        if not isinstance(items, list):
            self.report(at, f"{'.'.join(map(str, at)) or 'the document'} must be a list")
            return []
        out: list[Entry[M]] = []
        for index, item in enumerate(items):
            loc = (*at, index)
            name = item.get("id") if isinstance(item, dict) else None
            label = name if isinstance(name, str) and name else ".".join(map(str, loc))
            if prepare is not None and isinstance(item, dict):
                item, issues = prepare(item)
                for where, message in issues:
                    self.report((*loc, *where), f"{label}: {message}")
                if issues:
                    continue
            value = self.validate(model, item, at=loc, prefix=f"{label}: ")
            if value is not None:
                out.append(Entry(value, loc))
        return out

    def with_entries(self, entries: Mapping[str, Iterable[Entry[Any]]]) -> dict[str, Any]:
        """The top-level mapping with the named lists replaced by their validated entries
        (only where the file has them), ready to validate the document's own fields."""
        data = dict(self.root) if isinstance(self.root, dict) else {}
        for key, found in entries.items():
            if key in data:
                data[key] = [e.value for e in found]
        return data

    def unique(self, entries: Iterable[Entry[Any]], noun: str, key: str = "id") -> None:
        """Report every entry whose `key` repeats an earlier one."""
        seen: dict[Any, Entry[Any]] = {}
        for entry in entries:
            value = getattr(entry.value, key)
            first = seen.setdefault(value, entry)
            if first is not entry:
                line = self.position(first.loc)[0]
                where = f" (first at line {line})" if line is not None else ""
                self.report((*entry.loc, key), f"duplicate {noun} {value!r}{where}")

    def _schema_problems(
        self,
        error: ValidationError,
        at: Loc,
        prefix: str,
        to_file: Callable[[Loc], Loc] | None,
    ) -> None:
        for err in error.errors():
            inner: Loc = tuple(step for step in err["loc"] if isinstance(step, str | int))
            if to_file is not None:
                inner = to_file(inner)
            loc = (*at, *inner)
            field_name = ".".join(map(str, inner))
            if err["type"] == "extra_forbidden":
                self.report(loc, f"{prefix}unknown field {field_name!r}", key=True)
            else:
                self.report(loc, f"{prefix}{field_name or '(document)'}: {err['msg']}")


def raise_all(problems: Iterable[Problem]) -> None:
    """Raise one InputError for problems gathered from several files, if there is any."""
    found = list(problems)
    if found:
        raise InputError(found)
