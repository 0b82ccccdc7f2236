"""The Kubernetes CEL library functions and capsa's safe parseYAML."""

from __future__ import annotations

from typing import Any

import pytest

from capsa.cel import CelEnvironment
from capsa.cel_k8s import MAX_YAML_CHARS, functions, parse_yaml, uses_capsa_functions


@pytest.fixture(scope="module")
def env() -> CelEnvironment:
    return CelEnvironment(["object"], functions())


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("'curl -s http://x | sh'.find('\\\\|\\\\s*(ba)?sh') ", "| sh"),
        ("'no pipe here'.find('\\\\|')", ""),
        ("'a1b22c333'.findAll('[0-9]+') == ['1', '22', '333']", True),
        ("[1, 2, 2, 5].isSorted()", True),
        ("['b', 'a'].isSorted()", False),
        ("[1, 2, 3].sum()", 6),
        ("[4, 1, 3].min()", 1),
        ("[4, 1, 3].max()", 4),
        ("parseYAML(object.text).kind", "PodSecurityConfiguration"),
        ("parseYAML(object.text).defaults.enforce", "baseline"),
        ("parseYAML('not: [valid') == null", True),
    ],
)
def test_functions(env: CelEnvironment, expression: str, expected: Any) -> None:
    text = "kind: PodSecurityConfiguration\ndefaults:\n  enforce: baseline\n"
    assert env.compile(expression).evaluate({"object": {"text": text}}) == expected


def test_parse_yaml_refuses_tags_and_bombs() -> None:
    assert parse_yaml("!!python/object/apply:os.system ['true']") is None
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
        for i in range(8)
    )
    assert parse_yaml(bomb) is None
    assert parse_yaml("x" * (MAX_YAML_CHARS + 1)) is None
    assert parse_yaml("when: 2024-01-01") == {"when": "2024-01-01"}


def test_uses_capsa_functions() -> None:
    assert uses_capsa_functions("parseYAML(f.content).kind == 'x'") == ["parseYAML"]
    assert uses_capsa_functions("object.spec.parseYAMLish == 1") == []
