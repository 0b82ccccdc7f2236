"""One reading of Kubernetes object trees for manifests and live clusters alike."""

from __future__ import annotations

import pytest

from capsa.kube import dig, labels_of, selector_is_empty, selector_matches

LABELS = {"env": "prod", "tier": "web"}


def test_dig_follows_maps_and_list_indexes_and_stops_at_a_missing_step() -> None:
    body = {"spec": {"items": [{"name": "a"}]}}
    assert dig(body, "spec", "items", 0, "name") == "a"
    assert dig(body, "spec", "items", 1, "name") is None
    assert dig(body, "spec", "items", "0") is None
    assert dig("text", "spec") is None


def test_labels_read_as_text_and_null_as_empty() -> None:
    assert labels_of({"metadata": {"labels": {"a": None, "b": 1}}}) == {"a": "", "b": "1"}
    assert labels_of({"metadata": {"labels": ["not", "a", "map"]}}) == {}


@pytest.mark.parametrize(
    "selector",
    [
        {"matchLabels": {"env": "prod"}},
        {"matchExpressions": [{"key": "env", "operator": "In", "values": ["prod", "dev"]}]},
        {"matchExpressions": [{"key": "env", "operator": "NotIn", "values": ["dev"]}]},
        {"matchExpressions": [{"key": "tier", "operator": "Exists"}]},
        {"matchExpressions": [{"key": "team", "operator": "DoesNotExist"}]},
        {},
    ],
)
def test_selectors_that_match(selector: dict[str, object]) -> None:
    assert selector_matches(selector, LABELS)


@pytest.mark.parametrize(
    "selector",
    [
        {"matchLabels": {"env": "dev"}},
        {"matchLabels": {"env": "prod", "team": "a"}},
        {"matchExpressions": [{"key": "env", "operator": "In", "values": ["dev"]}]},
        {"matchExpressions": [{"key": "env", "operator": "NotIn", "values": ["prod"]}]},
        {"matchExpressions": [{"key": "team", "operator": "Exists"}]},
        {"matchExpressions": [{"key": "env", "operator": "DoesNotExist"}]},
        {"matchExpressions": ["not a requirement"]},
        "not a selector",
    ],
)
def test_selectors_that_do_not_match(selector: object) -> None:
    assert not selector_matches(selector, LABELS)


def test_an_empty_selector_is_told_apart() -> None:
    assert selector_is_empty({}) and selector_is_empty({"matchLabels": {}})
    assert selector_is_empty(None)
    assert not selector_is_empty({"matchLabels": {"env": "prod"}})
