"""read_manifests: files, directories, stdin, variables, positions, skipping and redaction."""

from __future__ import annotations

import io
import os
from pathlib import Path

from capsa.sources.files import read_manifests
from capsa.yamlio import position_of

TWO_DOCS = """\
apiVersion: cluster.x-k8s.io/v1beta1
kind: Cluster
metadata:
  name: c1
  namespace: team-a
---
# a comment before the second document
apiVersion: infrastructure.cluster.x-k8s.io/v1beta2
kind: AWSMachineTemplate
metadata:
  name: c1-md
spec:
  template:
    spec:
      instanceType: m5.large
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_multi_document_file_keeps_document_and_field_lines(tmp_path: Path) -> None:
    path = write(tmp_path / "cluster.yaml", TWO_DOCS)
    result = read_manifests([str(path)])
    assert result.problems == []
    assert (result.files_read, result.documents_read) == (1, 2)
    cluster, template = result.resources
    assert (cluster.kind, cluster.namespace, cluster.name) == ("Cluster", "team-a", "c1")
    assert cluster.origin.path == str(path) and cluster.origin.line == 1
    assert template.origin.line == 8
    assert position_of(template.body, ("spec", "template", "spec", "instanceType")) == (15, 21)


def test_directory_is_walked_recursively_in_name_order(tmp_path: Path) -> None:
    one = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {}\n"
    write(tmp_path / "b.yml", one.format("b"))
    write(tmp_path / "a.yaml", one.format("a"))
    write(tmp_path / "sub" / "c.YAML", one.format("c"))
    write(tmp_path / "notes.txt", "not yaml")
    write(tmp_path / ".git" / "hidden.yaml", one.format("hidden"))
    result = read_manifests([str(tmp_path)])
    assert [r.name for r in result.resources] == ["a", "b", "c"]
    assert result.files_read == 3


def test_symlink_loop_and_duplicate_paths_are_read_once(tmp_path: Path) -> None:
    write(tmp_path / "d" / "m.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: n\n")
    os.symlink(tmp_path / "d", tmp_path / "d" / "loop")
    os.symlink(tmp_path / "d" / "m.yaml", tmp_path / "d" / "alias.yaml")
    result = read_manifests([str(tmp_path), str(tmp_path / "d" / "m.yaml")])
    assert [r.name for r in result.resources] == ["n"]
    assert result.problems == []


def test_symlinks_leading_out_of_the_walked_directory_are_not_followed(tmp_path: Path) -> None:
    """A repository under review may hold links to files elsewhere on the machine (a CI
    runner's credentials): walking a directory, capsa leaves them with a note. Named on
    the command line, the same place is read."""
    outside = tmp_path / "outside"
    write(outside / "o.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: out\n")
    tree = tmp_path / "tree"
    write(tree / "in" / "m.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: n\n")
    os.symlink(outside / "o.yaml", tree / "link.yaml")
    os.symlink(outside, tree / "linked")
    os.symlink(tree / "in", tree / "inner")  # inside the tree: followed, read once
    result = read_manifests([str(tree)])
    assert [r.name for r in result.resources] == ["n"]
    assert sorted(Path(p.path).name for p in result.problems) == ["link.yaml", "linked"]
    assert all(p.is_note and "not followed" in p.message for p in result.problems)
    named = read_manifests([str(tree / "link.yaml")])
    assert [r.name for r in named.resources] == ["out"] and named.problems == []


def test_stdin_is_read_for_dash() -> None:
    result = read_manifests(["-"], stdin=io.StringIO(TWO_DOCS))
    assert [r.kind for r in result.resources] == ["Cluster", "AWSMachineTemplate"]
    assert result.resources[0].origin.path == "-"


def test_variables_substituted_and_unknown_fields_listed(tmp_path: Path) -> None:
    text = """\
apiVersion: infrastructure.cluster.x-k8s.io/v1beta2
kind: AWSMachineTemplate
metadata:
  name: ${CLUSTER_NAME}-md
spec:
  replicas: ${REPLICAS}
  template:
    spec:
      sshKeyName: ${AWS_SSH_KEY_NAME}
      instanceType: ${TYPE:=t3.large}
      httpPutResponseHopLimit: ${HOPS:=1}
      script: |
        echo "$${HOME}"
"""
    path = write(tmp_path / "template.yaml", text)
    result = read_manifests([str(path)], {"CLUSTER_NAME": "c1"})
    (res,) = result.resources
    assert res.name == "c1-md"
    spec = res.body["spec"]["template"]["spec"]
    assert spec["instanceType"] == "t3.large"
    assert spec["httpPutResponseHopLimit"] == 1
    assert spec["script"] == 'echo "${HOME}"\n'
    assert isinstance(res.body["spec"]["replicas"], str)  # never a number a check could trust
    assert res.unknown_paths == {
        ("spec", "replicas"),
        ("spec", "template", "spec", "sshKeyName"),
    }
    assert position_of(res.body, ("spec", "template", "spec", "sshKeyName")) == (9, 19)


def test_multiline_variable_value_lands_as_a_string_without_moving_lines(tmp_path: Path) -> None:
    text = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  k: ${BLOB}\n  after: x\n"
    )
    path = write(tmp_path / "cm.yaml", text)
    (res,) = read_manifests([str(path)], {"BLOB": "a: 1\nb: 2\n"}).resources
    assert res.body["data"]["k"] == "a: 1\nb: 2\n"
    assert position_of(res.body, ("data", "after")) == (7, 10)


def test_list_kind_is_unwrapped_with_item_lines(tmp_path: Path) -> None:
    text = (
        "apiVersion: v1\nkind: List\nitems:\n"
        "- apiVersion: v1\n  kind: ServiceAccount\n  metadata:\n    name: one\n"
        "- apiVersion: v1\n  kind: ServiceAccount\n  metadata:\n    name: two\n"
    )
    result = read_manifests([str(write(tmp_path / "list.yaml", text))])
    assert [(r.name, r.origin.line) for r in result.resources] == [("one", 4), ("two", 8)]


def test_tool_configuration_is_skipped_quietly_and_counted(tmp_path: Path) -> None:
    write(tmp_path / "kustomization.yaml", "resources:\n- a.yaml\n")
    write(
        tmp_path / "k2.yaml", "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
    )
    write(tmp_path / "patch.yaml", "- op: add\n  path: /spec/x\n  value: 1\n")
    write(tmp_path / "e2e.yaml", "providers:\n- name: aws\nvariables:\n  A: b\n")
    result = read_manifests([str(tmp_path)])
    assert result.resources == []
    assert result.problems == []
    assert (result.documents_read, result.documents_skipped) == (4, 4)


def test_non_kubernetes_yaml_is_a_problem(tmp_path: Path) -> None:
    # (a CloudFormation template is read: capsa.sources.aws takes its IAM resources)
    path = write(tmp_path / "config.yaml", "name: x\nResources: {}\n")
    write(tmp_path / "scalar.yaml", "just text\n")
    result = read_manifests([str(tmp_path)])
    assert [(p.path, p.line) for p in result.problems] == [
        (str(path), 1),
        (str(tmp_path / "scalar.yaml"), 1),
    ]
    assert all("not a Kubernetes object" in p.message for p in result.problems)


def test_top_level_secret_values_are_redacted_keys_kept(tmp_path: Path) -> None:
    text = (
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\n"
        "data:\n  AWS_SECRET_ACCESS_KEY: c2VjcmV0\nstringData:\n  token: plain-secret\n"
    )
    (res,) = read_manifests([str(write(tmp_path / "s.yaml", text))]).resources
    assert res.body["data"] == {"AWS_SECRET_ACCESS_KEY": "<redacted>"}
    assert res.body["stringData"] == {"token": "<redacted>"}
    assert "plain-secret" not in repr(res) and "c2VjcmV0" not in repr(res)
    assert position_of(res.body, ("data", "AWS_SECRET_ACCESS_KEY")) == (6, 26)


def test_missing_path_is_a_problem_and_others_still_read(tmp_path: Path) -> None:
    good = write(tmp_path / "ok.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ok\n")
    result = read_manifests([str(tmp_path / "absent.yaml"), str(good)])
    assert [r.name for r in result.resources] == ["ok"]
    assert [p.message for p in result.problems] == ["no such file or directory"]


def test_empty_secret_values_and_whole_variables_survive_redaction(tmp_path: Path) -> None:
    """Neither is secret: emptiness says the key holds nothing, and the marker names the
    variable a user must set."""
    text = (
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\n"
        'stringData:\n  key_id: ""\n  access_key:\n  credentials: ${AWS_CREDS}\n'
        "  mixed: prefix-${AWS_CREDS}\n  real: s3cr3t\n"
    )
    (res,) = read_manifests([str(write(tmp_path / "s.yaml", text))]).resources
    assert res.body["stringData"] == {
        "key_id": "",
        "access_key": "",
        "credentials": "__CAPSA_UNRESOLVED_AWS_CREDS__",
        "mixed": "<redacted>",
        "real": "<redacted>",
    }


def test_obvious_placeholders_read_as_empty_and_near_misses_stay_redacted(
    tmp_path: Path,
) -> None:
    """A placeholder no credential can be (dots, one angle-bracketed phrase; a data value
    decoded) holds nothing, like an empty value; a word, runs of asterisks or x's (a weak
    password may be one), a value beside the placeholder text, or base64 of real text is
    redacted as a value."""
    text = (
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\n"
        "data:\n  clouds.yaml: .........\n  decoded: Li4uLi4u\n  real: Y2xvdWRzOg==\n"
        "stringData:\n  stars: '****'\n  dashes: xxxx-xxxx\n"
        "  angle: <your application credential secret>\n"
        "  word: changeme\n  around: <secret> and more\n  key: AKIA.....\n"
    )
    (res,) = read_manifests([str(write(tmp_path / "s.yaml", text))]).resources
    assert res.body["data"] == {"clouds.yaml": "", "decoded": "", "real": "<redacted>"}
    assert res.body["stringData"] == {
        "stars": "<redacted>",
        "dashes": "<redacted>",
        "angle": "",
        "word": "<redacted>",
        "around": "<redacted>",
        "key": "<redacted>",
    }
