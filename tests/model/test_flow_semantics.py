"""Step semantics in model files: a valid user model loads, and a product used before it is
made, an unknown asset or a lifetime that contradicts itself is reported at its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from capsa.errors import InputError
from capsa.model.loader import load_model
from capsa.model.types import HaltCleanup, InputCheck, ProductLifetime

SHOP = Path(__file__).parents[1] / "sim" / "fixtures" / "shop-flows.yaml"


def _problems(tmp_path: Path, text: str) -> list[tuple[int | None, str]]:
    path = tmp_path / "model.yaml"
    path.write_text(text)
    with pytest.raises(InputError) as info:
        load_model(str(path))
    return [(p.line, p.message) for p in info.value.problems]


def _line(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), start=1) if needle in line)


def test_a_user_model_with_semantics_loads_typed() -> None:
    model = load_model(str(SHOP))
    checkout = model.flows[0]
    first, second, _ = checkout.steps
    assert first.semantics is not None and second.semantics is not None
    assert first.semantics.inputs[0].checks == [InputCheck.AUTHENTICATION, InputCheck.INTEGRITY]
    link = second.semantics.produces[0]
    assert link.lifetime is ProductLifetime.EXPIRES and link.ttl is not None
    assert first.semantics.produces[0].on_halt is HaltCleanup.WITH_OWNER
    assert checkout.goal == "link-sent"


def test_steps_without_semantics_still_load() -> None:
    model = load_model("builtin:capi-aws")
    assert all(s.semantics is not None or s.include for f in model.flows for s in f.steps)


@pytest.mark.parametrize(
    ("old", "new", "needle", "message"),
    [
        (
            "requires: [order-record]",
            "requires: [invoice]",
            "requires: [invoice]",
            "step 2 requires 'invoice', which no earlier step makes",
        ),
        (
            "removes: [staged-copy]",
            "removes: [staged]",
            "removes: [staged]",
            "step 3 removes 'staged', which no earlier step makes",
        ),
        (
            "asset: order, lifetime: kept, onHalt: with-owner}",
            "asset: orders, lifetime: kept, onHalt: with-owner}",
            "asset: orders",
            "produces 'order-record' as unknown asset 'orders'",
        ),
        (
            "              ttl: {seconds: 3600}\n",
            "",
            "lifetime: expires",
            "product 'signed-link' expires: give its ttl",
        ),
        (
            "    goal: link-sent",
            "    goal: link-mailed",
            "goal: link-mailed",
            "has goal 'link-mailed', which none of its steps makes",
        ),
    ],
)
def test_broken_semantics_point_at_their_line(
    tmp_path: Path, old: str, new: str, needle: str, message: str
) -> None:
    text = SHOP.read_text().replace(old, new)
    assert text != SHOP.read_text()
    found = _problems(tmp_path, text)
    assert any(message in m for _, m in found), found
    line = next(line for line, m in found if message in m)
    assert line == _line(text, needle)


def test_an_included_flows_given_must_be_made_before_the_include(tmp_path: Path) -> None:
    text = SHOP.read_text().replace(
        "  - id: refund\n    name: Refund\n",
        "  - id: refund\n    name: Refund\n    given: [order-record]\n",
    )
    text += (
        "  - id: refund-only\n    name: Refund without an order\n    steps:\n"
        "      - description: Refund.\n        include: refund\n"
    )
    found = _problems(tmp_path, text)
    assert found == [
        (
            _line(text, "include: refund"),
            "flow 'refund-only' step 1 includes 'refund', which is given 'order-record': "
            "no earlier step makes it",
        )
    ]


CLAIM = """\
apiVersion: capsa.dev/v1alpha1
kind: SystemModel
metadata: {name: claims}
elements:
  - {id: client, name: Client, type: process}
  - {id: server, name: Server, type: process}
dataFlows:
  - id: call
    from: client
    to: server
    protocol: http
    authentication: none
    encrypted: false
    serverAuthenticated: false
flows:
  - id: f
    name: F
    steps:
      - description: the server acts on a request and the client on the answer
        uses: call
        semantics:
          inputs:
            - {name: req, checks: [integrity, authentication]}
            - {name: answer, takenBy: sender, checks: [authentication]}
"""


def test_an_authentication_check_its_data_flow_says_is_not_made_is_refused(
    tmp_path: Path,
) -> None:
    """The step's word and its data flow's disagree: validation says so at the check, with
    the line of the data flow's statement, for each end."""
    found = _problems(tmp_path, CLAIM)
    assert [line for line, _ in found] == [
        _line(CLAIM, "{name: req,"),
        _line(CLAIM, "{name: answer,"),
    ]
    assert "'req' says its receiver authenticates the sender" in found[0][1]
    assert (
        f"states authentication: none (line {_line(CLAIM, 'authentication: none')})"
        in (found[0][1])
    )
    assert (
        f"serverAuthenticated: false (line {_line(CLAIM, 'serverAuthenticated')})" in (found[1][1])
    )


def test_an_unstated_caller_authentication_reads_as_none_as_the_rules_read_it(
    tmp_path: Path,
) -> None:
    """`authentication` defaults to none, and unauthenticated-inbound fires on that default:
    a step claiming its receiver authenticates the sender contradicts the unstated value
    as much as a written `none`. The problem names the data flow's line and says the
    default applies. An unstated `serverAuthenticated` stays unknown (the rules fire on
    false only), so the sender's claim stands."""
    text = CLAIM.replace("    authentication: none\n", "").replace(
        "    serverAuthenticated: false\n", ""
    )
    found = _problems(tmp_path, text)
    assert [line for line, _ in found] == [_line(text, "{name: req,")]
    assert (
        f"data flow 'call' (line {_line(text, '- id: call')}) leaves authentication "
        "unstated, which reads as its default, none, as the threat rules read it"
    ) in found[0][1]


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("authentication: none", "authentication: bearer-token"),
        ("    encrypted: false\n", "    encrypted: false\n    signed: true\n"),
    ],
)
def test_a_caller_authentication_the_data_flow_states_agrees(
    tmp_path: Path, old: str, new: str
) -> None:
    """An integrity check over an unprotected flow is no contradiction (a pinned digest);
    only the receiver's claim is at stake here, so the sender's is dropped."""
    text = CLAIM.replace(old, new).replace("    serverAuthenticated: false\n", "")
    path = tmp_path / "model.yaml"
    path.write_text(text)
    load_model(str(path))
