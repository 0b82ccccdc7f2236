"""Bad input: each case becomes a Problem with file and line, and the rest is still read."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from capsa.errors import Problem
from capsa.sources.files import read_manifests

GOOD = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: good\n"


def scan_with_good_neighbour(
    tmp_path: Path, name: str, content: bytes
) -> tuple[Path, list[Problem]]:
    """Write `content` next to a valid manifest and check the valid one is still read."""
    bad = tmp_path / name
    bad.write_bytes(content)
    (tmp_path / "zz-good.yaml").write_text(GOOD)
    result = read_manifests([str(tmp_path)])
    assert "good" in [r.name for r in result.resources]
    return bad, result.problems


def only_problem(problems: list[Problem], path: Path) -> Problem:
    assert [p.path for p in problems] == [str(path)], problems
    return problems[0]


def test_tab_indentation(tmp_path: Path) -> None:
    bad, problems = scan_with_good_neighbour(
        tmp_path, "tabs.yaml", b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n\tname: x\n"
    )
    problem = only_problem(problems, bad)
    assert problem.line == 4
    assert "tab" in problem.message


def test_invalid_yaml_reports_line_and_later_documents_still_read(tmp_path: Path) -> None:
    text = GOOD.replace("good", "first") + "---\nkey: [unclosed\nx: 1\n---\n" + GOOD
    path = tmp_path / "mixed.yaml"
    path.write_text(text)
    result = read_manifests([str(path)])
    assert [r.name for r in result.resources] == ["first", "good"]
    assert [r.origin.line for r in result.resources] == [1, 9]
    (problem,) = result.problems
    assert problem.line is not None and 6 <= problem.line <= 8
    assert problem.message.startswith("invalid YAML")


def test_empty_file(tmp_path: Path) -> None:
    bad, problems = scan_with_good_neighbour(tmp_path, "empty.yaml", b"")
    assert "empty" in only_problem(problems, bad).message


def test_comment_only_file_is_empty(tmp_path: Path) -> None:
    bad, problems = scan_with_good_neighbour(tmp_path, "comments.yaml", b"# nothing\n\n")
    assert "empty" in only_problem(problems, bad).message


def test_file_over_the_size_limit_is_refused_before_reading(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    with open(big, "wb") as handle:  # sparse: 50 MB on paper, nothing written
        handle.truncate(50_000_000)
    (tmp_path / "zz-good.yaml").write_text(GOOD)
    result = read_manifests([str(tmp_path)])
    problem = only_problem(result.problems, big)
    assert "too large" in problem.message and "50000000" in problem.message
    assert [r.name for r in result.resources] == ["good"]


def test_size_limit_applies_to_stdin() -> None:
    import io

    result = read_manifests(["-"], stdin=io.StringIO(GOOD * 10), max_bytes=len(GOOD))
    assert result.resources == []
    assert "too large" in result.problems[0].message


def test_ten_thousand_nested_lists(tmp_path: Path) -> None:
    content = b"a: " + b"[" * 10_000 + b"]" * 10_000 + b"\n"
    bad, problems = scan_with_good_neighbour(tmp_path, "deep.yaml", content)
    problem = only_problem(problems, bad)
    assert problem.line == 1
    assert "nest" in problem.message


def test_deep_block_nesting_below_the_parser_limit(tmp_path: Path) -> None:
    lines = [f"{'  ' * i}k{i}:" for i in range(600)]
    content = "apiVersion: v1\nkind: ConfigMap\ndata:\n" + "\n".join("  " + ln for ln in lines)
    bad, problems = scan_with_good_neighbour(tmp_path, "deep-block.yaml", content.encode())
    problem = only_problem(problems, bad)
    assert problem.line == 1 and "nested deeper" in problem.message


def test_alias_bomb_is_refused_quickly(tmp_path: Path) -> None:
    rows = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in "bcdefghi":
        prev = chr(ord(level) - 1)
        rows.append(f"{level}: &{level} [" + ",".join([f"*{prev}"] * 9) + "]")
    content = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: lol\n" + "\n".join(rows) + "\n"
    started = time.perf_counter()
    bad, problems = scan_with_good_neighbour(tmp_path, "bomb.yaml", content.encode())
    assert time.perf_counter() - started < 5  # a generous bound; the blow-up would take hours
    problem = only_problem(problems, bad)
    assert problem.line == 1 and "alias" in problem.message


def test_modest_aliases_are_fine(tmp_path: Path) -> None:
    text = GOOD + "spec:\n  a: &x {k: v}\n  b: *x\n"
    path = tmp_path / "ok.yaml"
    path.write_text(text)
    result = read_manifests([str(path)])
    assert result.problems == []
    assert result.resources[0].body["spec"]["b"] == {"k": "v"}


def test_recursive_alias(tmp_path: Path) -> None:
    bad, problems = scan_with_good_neighbour(tmp_path, "loop.yaml", b"a: &x [1, *x]\n")
    assert "recursive" in only_problem(problems, bad).message


def test_binary_bytes(tmp_path: Path) -> None:
    bad, problems = scan_with_good_neighbour(tmp_path, "blob.yaml", b"apiVersion: v1\n\x00\x01\x02")
    problem = only_problem(problems, bad)
    assert problem.line == 2 and "binary" in problem.message


def test_non_utf8_bytes(tmp_path: Path) -> None:
    content = b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: caf\xe9\n"
    bad, problems = scan_with_good_neighbour(tmp_path, "latin1.yaml", content)
    problem = only_problem(problems, bad)
    assert problem.line == 4 and "UTF-8" in problem.message and "0xe9" in problem.message


def test_dangling_symlink_is_unreadable(tmp_path: Path) -> None:
    os.symlink(tmp_path / "nowhere.yaml", tmp_path / "dangling.yaml")
    (tmp_path / "zz-good.yaml").write_text(GOOD)
    result = read_manifests([str(tmp_path)])
    problem = only_problem(result.problems, tmp_path / "dangling.yaml")
    assert "cannot read" in problem.message
    assert [r.name for r in result.resources] == ["good"]


def test_directory_named_like_a_yaml_file_is_walked_not_read(tmp_path: Path) -> None:
    folder = tmp_path / "looks-like.yaml"
    folder.mkdir()
    (folder / "inner.yaml").write_text(GOOD)
    result = read_manifests([str(tmp_path)])
    assert result.problems == []
    assert [r.name for r in result.resources] == ["good"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read files without permission bits")
def test_permission_denied(tmp_path: Path) -> None:
    locked = tmp_path / "locked.yaml"
    locked.write_text(GOOD)
    locked.chmod(0)
    result = read_manifests([str(locked)])
    assert "cannot read" in result.problems[0].message


def test_helm_template_is_named(tmp_path: Path) -> None:
    content = (
        b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n"
        b"  name: {{ .Values.name }}\n{{- if .Values.extra }}\ndata: {}\n{{- end }}\n"
    )
    bad, problems = scan_with_good_neighbour(tmp_path, "helm.yaml", content)
    problem = only_problem(problems, bad)
    assert problem.line == 4
    assert "helm template" in problem.message


def test_quoted_jinja_in_cloud_init_is_not_helm(tmp_path: Path) -> None:
    text = GOOD + "spec:\n  name: '{{ ds.meta_data.local_hostname }}'\n"
    path = tmp_path / "cloud-init.yaml"
    path.write_text(text)
    result = read_manifests([str(path)])
    assert result.problems == []


def test_non_mapping_metadata_does_not_crash(tmp_path: Path) -> None:
    path = tmp_path / "odd.yaml"
    path.write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: [1, 2]\n---\napiVersion: 1\nkind: X\n"
    )
    result = read_manifests([str(path)])
    # an object without a name is not judged as a nameless one: a problem at its metadata
    assert result.resources == []
    assert [p.line for p in result.problems] == [3, 5]
    assert "metadata must be a mapping" in result.problems[0].message


DUPLICATE = """apiVersion: infrastructure.cluster.x-k8s.io/v1beta2
kind: AWSMachineTemplate
metadata: {name: dup, namespace: team-sandbox}
spec:
  template:
    spec:
      instanceType: t3.large
      instanceMetadataOptions:
        httpTokens: optional
      instanceMetadataOptions:
        httpTokens: required
"""


@pytest.mark.parametrize("anchors", [False, True])
def test_a_duplicate_key_is_a_located_problem_and_the_last_value_is_judged(
    tmp_path: Path, anchors: bool
) -> None:
    """Kubernetes' strict decoding refuses a field written twice; a YAML loader silently
    keeps the last, so the first (here: IMDSv1 allowed) went unseen."""
    text = DUPLICATE + ("x: &a 1\ny: *a\n" if anchors else "")  # the other build path
    (tmp_path / "dup.yaml").write_text(text)
    result = read_manifests([str(tmp_path)])
    assert [(p.line, p.message) for p in result.problems] == [
        (
            10,
            "duplicate key instanceMetadataOptions (line 8 and 10); "
            "Kubernetes refuses it, capsa judges the last one",
        )
    ]
    (resource,) = result.resources
    assert resource.body["spec"]["template"]["spec"]["instanceMetadataOptions"] == {
        "httpTokens": "required"
    }


def test_a_key_a_merge_overrides_is_not_a_duplicate(tmp_path: Path) -> None:
    (tmp_path / "m.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: m}\n"
        "base: &b {a: 1, c: 2}\ndata:\n  <<: *b\n  a: '3'\n"
    )
    assert [p.message for p in read_manifests([str(tmp_path)]).problems] == []


def test_an_object_written_twice_in_one_file_is_a_located_problem(tmp_path: Path) -> None:
    """Both copies are judged, but they share fingerprints and annotations: the user is
    told, at the second copy's line."""
    one = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: team}\ndata: {a: '1'}\n"
    (tmp_path / "twice.yaml").write_text(one + "---\n" + one)
    (tmp_path / "other.yaml").write_text(one)  # the same object in another file: no problem
    result = read_manifests([str(tmp_path)])
    assert len(result.resources) == 3
    [problem] = result.problems
    assert (Path(problem.path).name, problem.line) == ("twice.yaml", 6)
    assert "ConfigMap team/c is written twice in this file (line 1 and 6)" in problem.message


REPEATED_FLAGS = """apiVersion: controlplane.cluster.x-k8s.io/v1beta2
kind: KubeadmControlPlane
metadata: {name: cp, namespace: ns}
spec:
  kubeadmConfigSpec:
    clusterConfiguration:
      apiServer:
        extraArgs:
        - {name: profiling, value: "false"}
        - {name: audit-log-path, value: /var/log/audit.log}
        - {name: profiling, value: "true"}
    joinConfiguration:
      nodeRegistration:
        kubeletExtraArgs:
        - {name: anonymous-auth, value: "false"}
        - {name: anonymous-auth, value: "true"}
"""


def test_a_repeated_flag_name_is_a_problem_at_the_repeat(tmp_path: Path) -> None:
    """CAPI's CRD refuses a v1beta2 flag list naming a flag twice ("extraArgs name must be
    unique"); the checks judge the last entry, so the first must not pass unseen."""
    (tmp_path / "cp.yaml").write_text(REPEATED_FLAGS)
    result = read_manifests([str(tmp_path)])
    assert sorted((p.line, p.message) for p in result.problems) == [
        (
            11,
            "KubeadmControlPlane/cp: spec.kubeadmConfigSpec.clusterConfiguration.apiServer"
            ".extraArgs repeats the flag profiling (line 9 and 11); Kubernetes refuses it "
            "(CAPI: extraArgs name must be unique), capsa judges the last one",
        ),
        (
            16,
            "KubeadmControlPlane/cp: spec.kubeadmConfigSpec.joinConfiguration.nodeRegistration"
            ".kubeletExtraArgs repeats the flag anonymous-auth (line 15 and 16); Kubernetes "
            "refuses it (CAPI: kubeletExtraArgs name must be unique), capsa judges the last one",
        ),
    ]


def test_distinct_flag_names_and_a_v1beta1_map_are_no_problem(tmp_path: Path) -> None:
    """Distinct names in a list, and a map (whose repeated key the YAML reader reports
    itself), raise nothing here."""
    distinct = REPEATED_FLAGS.replace('{name: profiling, value: "true"}', "{name: x, value: y}")
    distinct = distinct.replace('{name: anonymous-auth, value: "true"}', "{name: y, value: z}")
    (tmp_path / "cp.yaml").write_text(distinct)
    (tmp_path / "v1.yaml").write_text(
        "apiVersion: controlplane.cluster.x-k8s.io/v1beta1\nkind: KubeadmControlPlane\n"
        "metadata: {name: v1}\nspec:\n  kubeadmConfigSpec:\n    clusterConfiguration:\n"
        "      apiServer:\n        extraArgs: {profiling: 'false'}\n"
    )
    assert read_manifests([str(tmp_path)]).problems == []


@pytest.mark.parametrize("newline", ["\r", "\r\n", "\x85"])
def test_a_file_with_other_line_ends_reads_as_with_lf(tmp_path: Path, newline: str) -> None:
    """The YAML parser breaks lines at CR, CR LF and NEL too: read with them, a file
    gives the same objects, problems and lines as with LF, also past a broken document
    (where reading resumes at the next `---`, found by counting lines)."""
    text = (
        "kind: a: b\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n"
        "data:\n  k: |\n    one\n    two\n---\napiVersion: v1\nkind: Secret\n"
        "metadata: {name: s}\n"
    )
    (tmp_path / "lf.yaml").write_bytes(text.encode("utf-8"))
    (tmp_path / "other.yaml").write_bytes(text.replace("\n", newline).encode("utf-8"))
    lf = read_manifests([str(tmp_path / "lf.yaml")])
    other = read_manifests([str(tmp_path / "other.yaml")])
    assert [(r.kind, r.name, r.origin.line) for r in other.resources] == [
        (r.kind, r.name, r.origin.line) for r in lf.resources
    ]
    assert [r.kind for r in lf.resources] == ["ConfigMap", "Secret"]
    assert [(p.line, p.message) for p in other.problems] == [
        (p.line, p.message) for p in lf.problems
    ]
    assert other.resources[0].body["data"]["k"] == "one\ntwo\n"
    assert other.resources[0].body["data"].key_position("k") == (8, 3)


@pytest.mark.parametrize("separator", ["\n", "\r", "\x85", "\u2028", "\u2029"])
def test_reading_resumes_after_a_broken_document_whatever_breaks_lines(separator: str) -> None:
    """The parser breaks lines at each of these (a separator pasted into a comment, a
    payload's lone CR): counted by LF alone, reading resumed past the next document,
    which was lost, and later lines were off."""
    import yaml

    from capsa.sources.documents import load_documents

    head = "a: 1  # note" + separator * 3 + "\n---\n"
    tail = "---\nkind: B\nmetadata: {name: b}\n---\nkind: C\n"
    docs, problems = load_documents(head + "kind: a: b\n" + tail, "t.yaml")
    assert [d.get("kind") for _, d in docs] == [None, "B", "C"]
    loader = yaml.CSafeLoader(head + "kind: ab\n" + tail)  # the parser's own lines
    wanted = []
    while loader.check_node():
        wanted.append(loader.get_node().start_mark.line + 1)
    assert [line for line, _ in docs] == [wanted[0], wanted[2], wanted[3]]
    assert [p.line for p in problems] == [wanted[1]]
