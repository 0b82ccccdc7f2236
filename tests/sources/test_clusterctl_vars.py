"""clusterctl substitution follows drone/envsubst as clusterctl runs it, and never moves lines."""

from __future__ import annotations

import random
import time
from pathlib import Path

import pytest

from capsa.sources import clusterctl_vars
from capsa.sources.clusterctl_vars import (
    _glob_regex,
    load_vars_file,
    substitute,
    target_namespace,
)
from capsa.sources.files import read_manifests

VALUES = {
    "NAME": "Hello-World",
    "K8S": "v1.30.1+k3s",
    "ROLE": "arn:aws:iam::1:role/x",
    "EMPTY": "",
    "PATH_LIKE": "a/b/c.tar.gz",
}
BOMB = {"A": "x" * 100, "ML": "x\n" * 50}


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("${NAME}", "Hello-World"),
        ("${ NAME }", "Hello-World"),
        ("${NAME }", "Hello-World"),
        ("${NAME,,}", "hello-world"),
        ("${NAME^^}", "HELLO-WORLD"),
        ("${NAME,}", "hello-World"),
        ("${NAME^}", "Hello-World"),
        ("${#NAME}", "11"),
        ("${NAME:0:5}", "Hello"),
        ("${NAME:6}", "World"),
        ("${NAME:-3}", "Hello-World"),  # `:-` is a default, and NAME is set
        ("${NAME:4:100}", "o-World"),
        ("${K8S/+/_}", "v1.30.1_k3s"),
        (
            "${ROLE/#arn/eks.amazonaws.com/role-arn: arn}",
            "eks.amazonaws.com/role-arn: arn:aws:iam::1:role/x",
        ),
        ("${NAME/#World/X}", "Hello-World"),
        ("${NAME/%World/X}", "Hello-X"),
        ("${NAME/o/0}", "Hell0-World"),
        ("${NAME//o/0}", "Hell0-W0rld"),
        ("${NAME//o/}", "Hell-Wrld"),
        ("${PATH_LIKE#*/}", "b/c.tar.gz"),
        ("${PATH_LIKE##*/}", "b/c.tar.gz"),  # `*` never crosses `/` (Go path.Match), unlike bash
        ("${PATH_LIKE%.*}", "a/b/c.tar"),
        ("${PATH_LIKE%%.*}", "a/b/c"),
        ("${UNSET:=fallback}", "fallback"),
        ("${UNSET:-fallback}", "fallback"),
        ("${UNSET=fallback}", "fallback"),
        ("${EMPTY:=fallback}", "fallback"),
        ("${UNSET:=${NAME}}", "Hello-World"),
        ("${UNSET:=${ALSO_UNSET:=inner}}", "inner"),
        ("${UNSET:=a${NAME}b}", "aHello-Worldb"),
        ('${UNSET:=["10.0.0.0/16"]}', '["10.0.0.0/16"]'),
        ("$${NAME}", "${NAME}"),
        ("cost: $$5", "cost: $5"),
        ("a $b ${", "a $b ${"),
    ],
)
def test_expressions_follow_envsubst(template: str, expected: str) -> None:
    assert substitute(template, VALUES).text == expected


def test_escaped_dollar_is_not_a_variable_even_when_unset() -> None:
    result = substitute('url="$${BASE_URL}/$${version}"', {})
    assert result.text == 'url="${BASE_URL}/${version}"'
    assert result.unresolved == set()


def test_unknown_variable_becomes_an_opaque_string_marker() -> None:
    result = substitute("replicas: ${REPLICAS}\nname: ${NAME}-md\n", {"NAME": "c1"})
    assert result.text == "replicas: __CAPSA_UNRESOLVED_REPLICAS__\nname: c1-md\n"
    assert result.unresolved == {"REPLICAS"}
    assert result.problems == []


def test_function_of_unknown_variable_is_unknown() -> None:
    result = substitute("${CLUSTER_NAME:0:54}", {})
    assert result.text == "__CAPSA_UNRESOLVED_CLUSTER_NAME__"
    assert result.unresolved == {"CLUSTER_NAME"}


def test_unknown_inside_a_default_is_reported_by_its_own_name() -> None:
    result = substitute("${A:=${B}}", {})
    assert result.unresolved == {"B"}


def test_empty_default_of_unset_variable_is_unknown() -> None:
    assert substitute("${A:=}", {}).unresolved == {"A"}
    assert substitute("${A:=}", {"A": ""}).text == ""


def test_multiline_value_is_deferred_so_lines_stay_put() -> None:
    text = "data:\n  key: ${BLOB}\nnext: 1\n"
    result = substitute(text, {"BLOB": "line1\nline2\n"})
    assert result.text.count("\n") == text.count("\n")
    (marker,) = result.deferred
    assert f"key: {marker}" in result.text
    assert result.deferred[marker] == "line1\nline2\n"


def test_dash_default_works_but_is_flagged_because_clusterctl_rejects_it() -> None:
    result = substitute("a: 1\nb: ${X-fallback}\n", {})
    assert result.text == "a: 1\nb: fallback\n"
    assert [(p.line, "clusterctl rejects" in p.message) for p in result.problems] == [(2, True)]


@pytest.mark.parametrize("bad", ["${}", "${NAME", "${NAME.x}", "${NAME/a}", "${NAME:}", "${#}"])
def test_malformed_expression_is_a_problem_with_its_line(bad: str) -> None:
    result = substitute(f"ok: 1\nbad: {bad}\n", VALUES, path="t.yaml")
    assert [p.line for p in result.problems] == [2]
    assert result.problems[0].path == "t.yaml"
    assert result.text.count("\n") == 2


def test_text_without_dollar_is_untouched() -> None:
    text = "kind: Cluster\n"
    assert substitute(text, VALUES).text is text


def test_vars_file_yaml_mapping(tmp_path: Path) -> None:
    path = tmp_path / "vars.yaml"
    path.write_text("CLUSTER_NAME: c1\nREPLICAS: 3\nENABLED: true\nNOTHING:\nBAD: [1, 2]\n")
    values, problems = load_vars_file(str(path))
    assert values == {"CLUSTER_NAME": "c1", "REPLICAS": "3", "ENABLED": "true", "NOTHING": ""}
    assert [(p.line, "BAD" in p.message) for p in problems] == [(5, True)]


def test_vars_file_env_lines(tmp_path: Path) -> None:
    path = tmp_path / "vars.env"
    path.write_text("# comment\nexport A=1\nB='two words'\n\nC=\"x=y\"\n")
    values, problems = load_vars_file(str(path))
    assert values == {"A": "1", "B": "two words", "C": "x=y"}
    assert problems == []


def test_vars_file_clusterctl_e2e_config_uses_its_variables_section(tmp_path: Path) -> None:
    path = tmp_path / "e2e.yaml"
    path.write_text("providers:\n- name: aws\nvariables:\n  KUBERNETES_VERSION: v1.31.0\n")
    values, problems = load_vars_file(str(path))
    assert values == {"KUBERNETES_VERSION": "v1.31.0"}
    assert problems == []


def test_vars_file_errors_are_problems(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("A: 1\nB: [unclosed\n")
    values, problems = load_vars_file(str(broken))
    assert values == {}
    assert problems[0].path == str(broken) and problems[0].line is not None
    missing, problems = load_vars_file(str(tmp_path / "absent.yaml"))
    assert missing == {} and "cannot read" in problems[0].message
    listing = tmp_path / "list.yaml"
    listing.write_text("- a\n- b\n")
    assert "mapping" in load_vars_file(str(listing))[1][0].message


# --- bounds: a hostile configuration must not make substitution exhaust memory or time ---


@pytest.fixture
def small_cap(monkeypatch: pytest.MonkeyPatch) -> int:
    """The expansion cap lowered to 1,000 characters, so bombs stay tiny."""
    monkeypatch.setattr(clusterctl_vars, "MAX_EXPANDED_CHARS", 1_000)
    return 1_000


@pytest.mark.parametrize(
    "expression",
    [
        "${A}" * 20,  # many references (the audit's 3,000 x 1 MB)
        "${B:-" + "${A}" * 20 + "}",  # one default built of many references
        "${A//x/" + "y" * 60 + "}",  # a replacement that multiplies the value
        "${ML}" * 20,  # multi-line values, put back by the loader, count too
    ],
)
def test_expansion_past_the_cap_refuses_the_file_at_its_line(
    small_cap: int, expression: str
) -> None:
    result = substitute(f"kind: ConfigMap\ndata:\n  a: {expression}\n", BOMB, path="b.yaml")
    assert result.refused and result.text == ""
    assert [(p.path, p.line) for p in result.problems] == [("b.yaml", 3)]
    assert "variables expand this file past 0.001 MB; it is not read" in result.problems[0].message


def test_expansion_under_the_cap_is_substituted(small_cap: int) -> None:
    result = substitute("a: ${A}${A}\n", BOMB)
    assert not result.refused and result.text == "a: " + "x" * 200 + "\n"


def test_a_refused_file_is_not_read_and_the_others_are(small_cap: int, tmp_path: Path) -> None:
    (tmp_path / "bomb.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\ndata:\n  a: " + "${A}" * 20 + "\n"
    )
    (tmp_path / "good.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: g}\ndata:\n  a: ${A}\n"
    )
    result = read_manifests([str(tmp_path)], BOMB)
    assert [r.name for r in result.resources] == ["g"]
    assert [p.message for p in result.problems if p.path.endswith("bomb.yaml")] == [
        "variables expand this file past 0.001 MB; it is not read"
    ]


def test_deep_nesting_is_a_problem_not_a_crash() -> None:
    text = "a: " + "${A:-" * 2_000 + "x" + "}" * 2_000 + "\n"
    result = substitute(text, {})
    assert any("nested more than" in p.message for p in result.problems)


def _trim_by_every_prefix(value: str, pattern: str, op: str) -> str:
    """The former implementation (fullmatch of every prefix/suffix): the reference."""
    rx = _glob_regex(pattern)
    if rx is None:
        return value
    sizes = range(1, len(value) + 1)
    for size in sizes if op in ("#", "%") else reversed(sizes):
        part = value[:size] if op.startswith("#") else value[len(value) - size :]
        if rx.fullmatch(part):
            return value[size:] if op.startswith("#") else value[: len(value) - size]
    return value


def test_trimming_gives_what_matching_every_prefix_gave() -> None:
    rng = random.Random(7)
    pieces = ["a", "b", "/", ".", "*", "*", "?", "[ab]", "[^a]", "\\a", "\\*", "[", "]"]
    for _ in range(3_000):
        value = "".join(rng.choice("ab/.x") for _ in range(rng.randint(0, 8)))
        pattern = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 5)))
        for op in ("#", "##", "%", "%%"):
            expected = _trim_by_every_prefix(value, pattern, op)
            got = clusterctl_vars._Trimmer(10**9).trim(value, pattern, op)
            assert got == expected, (value, pattern, op)


@pytest.mark.parametrize(
    ("expression", "expected"),
    [("${A%y}", "x" * 1_000_000), ("${A%x}", "x" * 999_999), ("${A##*x}", "")],
)
def test_trimming_a_megabyte_value_is_linear(expression: str, expected: str) -> None:
    started = time.monotonic()
    result = substitute(expression, {"A": "x" * 1_000_000})
    assert result.text == expected  # matching every prefix took 18 s for `%y`
    assert time.monotonic() - started < 5


def test_trimming_past_the_files_budget_is_unknown_and_reported(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(clusterctl_vars, "TRIM_STEPS_BASE", 1_000)
    monkeypatch.setattr(clusterctl_vars, "TRIM_STEPS_PER_CHAR", 0)
    result = substitute("a: ${A%y*}\nb: ${A%z*}\n", {"A": "x" * 600})
    assert result.unresolved == {"A"}
    assert [p.line for p in result.problems] == [2]
    assert "prefix/suffix removal" in result.problems[0].message


@pytest.mark.parametrize(
    ("text", "variables", "expected"),
    [
        ("namespace: ${NAMESPACE}", {"NAMESPACE": "team-a"}, ("team-a", True)),
        ("namespace: ${ NAMESPACE }", {"NAMESPACE": "team-a"}, ("team-a", True)),  # legacy
        ("namespace: ${NAMESPACE:=lab}", {"NAMESPACE": "team-a"}, ("team-a", True)),
        ("namespace: ${NAMESPACE}", {}, None),  # not given: stays unresolved
        ("namespace: ${NAMESPACE}", {"NAMESPACE": ""}, None),
        ("namespace: ${NAMESPACES}", {"NAMESPACE": "team-a"}, ("team-a", False)),
        ("name: ${CLUSTER_NAME}", {"NAMESPACE": "team-a"}, ("team-a", False)),
    ],
)
def test_the_target_namespace_is_the_given_namespace_and_a_template_naming_it_moves_whole(
    text: str, variables: dict[str, str], expected: tuple[str, bool] | None
) -> None:
    found = target_namespace(text, variables)
    assert (None if found is None else (found.name, found.overrides)) == expected


MOVED = (
    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n"
    "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: b}\n---\n"
    "apiVersion: v1\nkind: Secret\nmetadata: {name: c, namespace: kube-system}\n---\n"
    "apiVersion: infrastructure.cluster.x-k8s.io/v1beta2\nkind: AWSClusterStaticIdentity\n"
    "metadata: {name: d}\n"
)


@pytest.mark.parametrize(
    ("reference", "secret_namespace"),
    [
        ("---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: e, namespace: ${NAMESPACE}}\n",
         "team-a"),  # a template naming the target: every namespaced object moves
        ("", "kube-system"),  # any other file: only objects naming no namespace move
    ],
)  # fmt: skip
def test_objects_move_into_the_target_namespace_as_clusterctl_moves_them(
    tmp_path: Path, reference: str, secret_namespace: str
) -> None:
    """Cluster-scoped kinds (clusterctl's own list, and providers' like CAPA's static
    identity) never do."""
    (tmp_path / "t.yaml").write_text(MOVED + reference)
    read = read_manifests([str(tmp_path)], {"NAMESPACE": "team-a"}).resources
    assert [(r.name, r.namespace) for r in read][:4] == [
        ("a", "team-a"), ("b", None), ("c", secret_namespace), ("d", None),
    ]  # fmt: skip
