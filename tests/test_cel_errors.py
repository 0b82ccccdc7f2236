"""A type mismatch at evaluation reads in words (`capsa.cel.explained`); other errors,
whose text already says what is wrong, are passed on as they are."""

from __future__ import annotations

import pytest

from capsa.cel import CelEnvironment, CelError, explained


@pytest.mark.parametrize(
    ("expression", "said"),
    [
        ("object.replicas > 1", "'>' cannot be applied on string and int"),
        ("object.replicas + 1 == 2", "'+' cannot be applied on string and int"),
        ("'x' in object.count", "'in' cannot be applied (no matching overload)"),
    ],
)
def test_a_quoted_number_compared_as_a_number_is_explained(expression: str, said: str) -> None:
    program = CelEnvironment(["object"]).compile(expression)
    with pytest.raises(CelError) as raised:
        program.evaluate({"object": {"replicas": "3", "count": 3}})
    assert str(raised.value).startswith(said)
    assert "written in quotes" in str(raised.value)


def test_other_errors_are_passed_on_as_they_are() -> None:
    program = CelEnvironment(["object"]).compile("object.spec.replicas == 1")
    with pytest.raises(CelError, match="Key not found in map"):
        program.evaluate({"object": {"spec": {}}})
    assert explained("INVALID_ARGUMENT: something else") == "INVALID_ARGUMENT: something else"


def test_the_quoted_number_hint_is_given_only_where_it_can_be_the_cause() -> None:
    assert "written in quotes" in explained("No matching overloads found : _>_(string, int64)")
    other = explained("No matching overloads found : _>_(map(string, dyn), list(int64))")
    assert other.startswith("'>' cannot be applied on map(string, dyn) and list(int64)")
    assert "written in quotes" not in other
