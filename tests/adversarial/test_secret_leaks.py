"""Class 1 — a secret value never appears in any output.

PyYAML quotes what it cannot read: an unquoted value starting with `!` is a tag, one
starting with `*` an alias, and `!!int X` puts X in a ValueError. Each hostile form below
carries the canary and is placed in every kind of file capsa reads; the command must end
with a located problem (file and line) and the canary nowhere. Credentials on the live
path (a token with a trailing newline, an exec plugin's stderr and output), `--var`
values and path-traversing namespaces are covered too.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from fakeapi import FakeApiServer
from hostile import (
    CANARY,
    GOOD_MODEL,
    WORKERS,
    assert_clean,
    assert_no_canary_in,
    assert_unusable,
    run,
)

from capsa.checks.suppressions import load_suppressions
from capsa.errors import InputError, Problem
from capsa.model.loader import load_model
from capsa.sources.cluster import read_cluster
from capsa.sources.cluster_http import METADATA_ACCEPT, ApiFailure, ApiPath, ReadOnlyApi
from capsa.sources.clusterctl_vars import load_vars_file
from capsa.threats.tracking import load_tracking

# Each form is written as a YAML value (`key: <form>`); every one makes the parser fail.
FORMS = {
    "tag": f"!{CANARY}",
    "verbatim-tag": f"!<!{CANARY}>",
    "percent-escaped-tag": "!%43" + CANARY[1:],  # %43 is "C": the decoded tag is the canary
    "core-tag-verbatim": f"!<tag:yaml.org,2002:int> {CANARY}",
    "int": f"!!int {CANARY}",
    "bool": f"!!bool {CANARY}",
    "float": f"!!float {CANARY}",
    "timestamp": f"!!timestamp {CANARY}",
    "python-object": f"!!python/object:{CANARY}",
    "alias": f"*{CANARY}",
    "tag-handle": f"!e!{CANARY}",
}
FEW = ("tag", "int", "alias")  # for the slower commands


def _write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


# --- manifests and ClusterResourceSet payloads ----------------------------------------------


def _manifest(form: str, name: str = "c") -> str:
    return f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {name}, namespace: a}}\ndata:\n  k: {form}\n"


def _all_forms_file(tmp_path: Path) -> tuple[str, dict[str, int]]:
    """One manifest file: a good document, then one document per form (each broken);
    returns its path and the line each form is on."""
    parts, lines, line = [WORKERS], {}, WORKERS.count("\n") + 1
    for key, form in FORMS.items():
        parts.append(_manifest(form))
        lines[key] = line + 5
        line += 6
    return _write(tmp_path, "m.yaml", "---\n".join(parts)), lines


@pytest.mark.parametrize("fmt", ["json", "sarif", "table", "md"])
def test_manifest_values(tmp_path: Path, fmt: str) -> None:
    """Every form in one file: each broken document is one located problem, the good
    one is still scanned, and no output holds the canary."""
    path, lines = _all_forms_file(tmp_path)
    result = run("scan", path, "--format", fmt)
    assert_clean(result)
    assert result.exit_code == 1
    if fmt == "json":
        errors = json.loads(result.stdout)["errors"]
        assert sorted((e["path"], e["line"]) for e in errors) == sorted(
            (path, line) for line in lines.values()
        )


def test_a_tag_directive_naming_the_canary(tmp_path: Path) -> None:
    text = f"%TAG !x! tag:{CANARY}.example,2000:\n---\n" + _manifest("!x!value")
    path = _write(tmp_path, "m.yaml", text)
    result = run("scan", path, "--format", "sarif")
    assert_unusable(result, path)


def _carriers() -> str:
    """A Cluster, a ClusterResourceSet, and one ConfigMap carrier per form."""
    names = [f"carrier-{i}" for i in range(len(FORMS))]
    text = (
        "apiVersion: cluster.x-k8s.io/v1beta1\nkind: Cluster\n"
        "metadata: {name: c, namespace: a, labels: {addons: x}}\n---\n"
        "apiVersion: addons.cluster.x-k8s.io/v1beta1\nkind: ClusterResourceSet\n"
        "metadata: {name: crs, namespace: a}\n"
        "spec:\n  clusterSelector: {matchLabels: {addons: x}}\n"
        f"  resources: [{', '.join(f'{{kind: ConfigMap, name: {n}}}' for n in names)}]\n"
    )
    for name, form in zip(names, FORMS.values(), strict=True):
        inner = _manifest(form).replace("\n", "\n    ")
        text += (
            f"---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {name}, namespace: a}}\n"
            f"data:\n  payload.yaml: |\n    {inner}\n"
        )
    return text


def test_cluster_resource_set_payloads(tmp_path: Path) -> None:
    path = _write(tmp_path, "crs.yaml", _carriers())
    result = run("scan", path, "--format", "json")
    assert_clean(result)
    errors = json.loads(result.stdout)["errors"]
    carriers = {e["message"].split(":")[0] for e in errors}
    assert carriers == {f"ConfigMap/a/carrier-{i}" for i in range(len(FORMS))}
    assert all(e["path"] == path and e["line"] for e in errors)


@pytest.mark.parametrize("form", [FORMS[f] for f in FEW], ids=FEW)
def test_assess_and_paths_over_a_hostile_manifest(tmp_path: Path, form: str) -> None:
    path = _write(tmp_path, "m.yaml", WORKERS + "---\n" + _manifest(form))
    out = tmp_path / "report"
    result = run("assess", path, "--out", str(out))
    assert_clean(result)
    assert result.exit_code == 0
    assert_no_canary_in(out)
    assert_clean(run("paths", path, "--format", "json"))


# --- every other file: each form through its loader, then one through the CLI ---------------


def _problems(call: Callable[[], object]) -> list[Problem]:
    with pytest.raises(InputError) as caught:
        call()
    return caught.value.problems


def _no_canary(problems: list[Problem]) -> None:
    assert problems and CANARY not in " ".join(map(str, problems))


@pytest.mark.parametrize("form", FORMS.values(), ids=list(FORMS))
def test_vars_file(tmp_path: Path, form: str) -> None:
    variables = _write(tmp_path, "vars.yaml", f"AWS_REGION: eu-west-1\nTOKEN: {form}\n")
    values, problems = load_vars_file(variables)
    assert values == {} and [(p.path, p.line) for p in problems] == [(variables, 2)]
    _no_canary(problems)


def test_vars_file_through_the_cli(tmp_path: Path) -> None:
    manifest = _write(tmp_path, "m.yaml", WORKERS)
    variables = _write(tmp_path, "vars.yaml", f"TOKEN: {FORMS['int']}\n")
    result = run("scan", manifest, "--vars-file", variables, "--format", "json")
    assert_clean(result)
    errors = json.loads(result.stdout)["errors"]
    assert [(e["path"], e["line"]) for e in errors] == [(variables, 1)]


def _ignore_file(tmp_path: Path, form: str) -> str:
    return _write(
        tmp_path,
        "ignore.yaml",
        "apiVersion: capsa.dev/v1alpha1\nkind: Suppressions\nsuppressions:\n"
        f"  - check: CAPSA-IMDS-001\n    reason: {form}\n",
    )


@pytest.mark.parametrize("form", FORMS.values(), ids=list(FORMS))
def test_ignore_file(tmp_path: Path, form: str) -> None:
    ignore = _ignore_file(tmp_path, form)
    problems = _problems(lambda: load_suppressions(ignore))
    assert [(p.path, p.line) for p in problems] == [(ignore, 5)]
    _no_canary(problems)


def test_ignore_file_through_the_cli(tmp_path: Path) -> None:
    manifest = _write(tmp_path, "m.yaml", WORKERS)
    ignore = _ignore_file(tmp_path, FORMS["tag"])
    assert_unusable(run("scan", manifest, "--ignore-file", ignore), f"{ignore}:5")


def _kubeconfig(tmp_path: Path, form: str) -> str:
    return _write(
        tmp_path,
        "kubeconfig",
        "apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\n"
        f"users:\n- name: u\n  user:\n    token: {form}\n",
    )


@pytest.mark.parametrize("form", FORMS.values(), ids=list(FORMS))
def test_kubeconfig(tmp_path: Path, form: str) -> None:
    result = read_cluster(_kubeconfig(tmp_path, form), None)
    (problem,) = result.problems
    assert problem.message.startswith("kubeconfig cannot be used: not valid YAML at line 8")
    assert CANARY not in str(problem) and result.requests == []


def test_kubeconfig_through_the_cli(tmp_path: Path) -> None:
    kubeconfig = _kubeconfig(tmp_path, FORMS["alias"])
    result = run("scan", "--cluster", "--kubeconfig", kubeconfig, "--format", "json")
    assert_unusable(result, "kubeconfig cannot be used: not valid YAML at line 8")


def _model(tmp_path: Path, form: str, name: str = "model.yaml") -> str:
    text = GOOD_MODEL.read_text().replace("title: A small two-boundary system", f"title: {form}")
    return _write(tmp_path, name, text)


@pytest.mark.parametrize("form", FORMS.values(), ids=list(FORMS))
def test_model_file(tmp_path: Path, form: str) -> None:
    model = _model(tmp_path, form)
    problems = _problems(lambda: load_model(model))
    assert [(p.path, p.line) for p in problems] == [(model, 5)]
    _no_canary(problems)


@pytest.mark.parametrize(
    "command",
    [
        ["model", "validate"],
        ["threats", "--model"],
        ["paths", "--model"],
        ["model", "show", "--model"],
        ["model", "render", "--model"],
    ],
    ids=" ".join,
)
def test_model_file_through_the_cli(tmp_path: Path, command: list[str]) -> None:
    model = _model(tmp_path, FORMS["int"])
    assert_unusable(run(*command, model), f"{model}:5")


def test_extended_model(tmp_path: Path) -> None:
    _model(tmp_path, FORMS["tag"], "parent.yaml")
    child = _write(
        tmp_path,
        "child.yaml",
        "apiVersion: capsa.dev/v1alpha1\nkind: SystemModel\nmetadata: {name: c}\n"
        "extends: parent.yaml\n",
    )
    assert_unusable(run("model", "validate", child), "parent.yaml:5")


def _tracking(tmp_path: Path, form: str) -> str:
    return _write(
        tmp_path,
        "tracking.yaml",
        "apiVersion: capsa.dev/v1alpha1\nkind: ThreatTracking\ndecisions:\n"
        f"  - threat: STRIDE-DOS-1\n    decision: accepted\n    justification: {form}\n",
    )


@pytest.mark.parametrize("form", FORMS.values(), ids=list(FORMS))
def test_tracking_file(tmp_path: Path, form: str) -> None:
    tracking = _tracking(tmp_path, form)
    problems = _problems(lambda: load_tracking(tracking))
    assert [(p.path, p.line) for p in problems] == [(tracking, 6)]
    _no_canary(problems)


def test_tracking_file_through_the_cli(tmp_path: Path) -> None:
    tracking = _tracking(tmp_path, FORMS["bool"])
    assert_unusable(run("threats", "--tracking", tracking), f"{tracking}:6")


@pytest.mark.parametrize(
    "document",
    [
        {"schema": CANARY, "findings": []},
        {"schema": "capsa/v1", "findings": [{"fingerprint": {"k": CANARY}}]},
        {"schema": "capsa/v1", "findings": CANARY},
    ],
    ids=["schema", "fingerprint", "findings"],
)
def test_baseline(tmp_path: Path, document: object) -> None:
    manifest = _write(tmp_path, "m.yaml", WORKERS)
    baseline = _write(tmp_path, "baseline.json", json.dumps(document))
    assert_unusable(run("scan", manifest, "--baseline", baseline), baseline)


def test_report_from_a_tampered_assessment(tmp_path: Path) -> None:
    out = tmp_path / "report"
    assert run("assess", "-o", str(out)).exit_code == 0
    saved = out / "assessment.json"
    doc = json.loads(saved.read_text())
    doc["summary"] = CANARY
    doc["findings"] = [{"severity": CANARY}]
    saved.write_text(json.dumps(doc))
    assert_unusable(run("report", "--from", str(saved)), str(saved))
    assert_unusable(run("diff", str(saved), str(saved)), str(saved))


# --- credentials and names on the live path ----------------------------------------------------


def _kubeconfig_with_user(api: FakeApiServer, tmp_path: Path, user: dict[str, object]) -> str:
    path = api.write_kubeconfig(tmp_path / "kubeconfig")
    config = json.loads(json.dumps(__import__("yaml").safe_load(path.read_text())))
    config["users"][0]["user"] = user
    path.write_text(json.dumps(config))
    return str(path)


@pytest.mark.parametrize("token", [f"{CANARY}\n", f"{CANARY}\r\nX-Injected: 1", f" {CANARY}"])
def test_a_token_that_cannot_be_a_header_is_refused_unsent(
    hostile_api: FakeApiServer, tmp_path: Path, token: str
) -> None:
    kubeconfig = _kubeconfig_with_user(hostile_api, tmp_path, {"token": token})
    result = run("scan", "--cluster", "--kubeconfig", kubeconfig)
    assert_unusable(result, "trailing newline")
    assert hostile_api.requests == []


def test_a_token_file_with_a_trailing_newline_is_trimmed_like_kubectl_does(
    hostile_api: FakeApiServer, tmp_path: Path
) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(hostile_api.token + "\n")
    kubeconfig = _kubeconfig_with_user(hostile_api, tmp_path, {"tokenFile": str(token_file)})
    result = run("scan", "--cluster", "--kubeconfig", kubeconfig, "--format", "json")
    assert_clean(result)
    assert result.exit_code in (0, 1)
    assert hostile_api.requests


def _exec_user(code: str) -> dict[str, object]:
    return {
        "exec": {
            "apiVersion": "client.authentication.k8s.io/v1",
            "command": sys.executable,
            "args": ["-c", code],
        }
    }


@pytest.mark.parametrize(
    ("code", "words"),
    [
        (f"import sys; sys.stderr.write('{CANARY}'); sys.exit(3)", "exited with code 3"),
        (f'print(\'{{"status": {{"token": {CANARY}\')', "not JSON"),
        (f'print(\'{{"status": {{"token": "{CANARY}\\\\n"}}}}\')', "trailing newline"),
        ("print('{\"status\": {}}')", "no status.token"),
        ("print('[' * 100000)", "not JSON"),
    ],
    ids=["stderr-and-exit-code", "bad-json", "token-with-newline", "no-token", "deep-json"],
)
def test_exec_plugin_failures_are_described_never_echoed(
    hostile_api: FakeApiServer, tmp_path: Path, code: str, words: str
) -> None:
    kubeconfig = _kubeconfig_with_user(hostile_api, tmp_path, _exec_user(code))
    result = run("scan", "--cluster", "--kubeconfig", kubeconfig)
    assert_unusable(result, words)


def test_a_working_exec_plugin_supplies_the_token(
    hostile_api: FakeApiServer, tmp_path: Path
) -> None:
    token = hostile_api.token
    code = f'print(\'{{"kind": "ExecCredential", "status": {{"token": "{token}"}}}}\')'
    kubeconfig = _kubeconfig_with_user(hostile_api, tmp_path, _exec_user(code))
    result = run("scan", "--cluster", "--kubeconfig", kubeconfig, "--format", "json")
    assert_clean(result)
    assert result.exit_code in (0, 1), result.stderr
    assert json.loads(result.stdout)["summary"]["resources"] > 0


@pytest.mark.parametrize("pair", [f"BAD-NAME={CANARY}", f"1X={CANARY}", CANARY, f"A B={CANARY}"])
@pytest.mark.parametrize("command", ["scan", "assess"])
def test_a_malformed_var_never_echoes_its_value(tmp_path: Path, pair: str, command: str) -> None:
    manifest = _write(tmp_path, "m.yaml", WORKERS)
    extra = ["--out", str(tmp_path / "o")] if command == "assess" else []
    assert_unusable(run(command, manifest, *extra, "--var", pair), "NAME=value")


@pytest.mark.parametrize(
    "namespace",
    ["../../../api/v1/secrets?x=", "a/../../secrets", "default?watch=1", "Default", "a" * 64, ""],
)
def test_a_namespace_that_is_not_a_dns_label_is_refused_before_any_request(
    hostile_api: FakeApiServer, kubeconfig: Path, namespace: str
) -> None:
    result = run("scan", "--cluster", "--kubeconfig", str(kubeconfig), "-n", namespace)
    assert_unusable(result, "not a namespace name")
    assert hostile_api.requests == []


def test_a_valid_namespace_is_read(hostile_api: FakeApiServer, kubeconfig: Path) -> None:
    result = run("scan", "--cluster", "--kubeconfig", str(kubeconfig), "-n", "capi-system")
    assert_clean(result)
    assert result.exit_code in (0, 1)
    assert any("/namespaces/capi-system/" in r.path for r in hostile_api.requests)


def test_secrets_without_the_metadata_header_are_refused_before_sending() -> None:
    class NoClient:
        def stream(self, *args: object, **kwargs: object) -> None:
            raise AssertionError("a request was sent")

    api = ReadOnlyApi(NoClient())  # type: ignore[arg-type]
    secrets = ApiPath.core("v1").child("namespaces", "a", "secrets")
    for accept in (None, "application/json", METADATA_ACCEPT + ";x"):
        with pytest.raises(ApiFailure, match="only ever read as metadata"):
            api.get_json(secrets, accept=accept)
    assert api.log == []


@pytest.mark.parametrize("segment", ["..", "a/b", "x?y", "a#b", "%2e%2e", "", "A", "s p"])
def test_no_url_segment_can_escape_its_place(segment: str) -> None:
    with pytest.raises(ValueError, match="not a valid URL path segment"):
        ApiPath.of("api", "v1", "namespaces", segment, "pods")


def test_discovery_cannot_smuggle_a_path_into_a_list(
    hostile_api: FakeApiServer, kubeconfig: Path
) -> None:
    """A resource list naming `../../api/v1/secrets` as a plural is skipped, not requested."""
    from fakeapi import Fault

    hostile_api.inject(
        "/apis/apps/v1",
        Fault(
            200,
            json={
                "kind": "APIResourceList",
                "groupVersion": "apps/v1",
                "resources": [
                    {"name": "../../../api/v1/secrets", "kind": "Deployment", "verbs": ["list"]},
                    {"name": "deployments?x=", "kind": "Deployment", "verbs": ["list"]},
                ],
            },
        ),
    )
    result = run("scan", "--cluster", "--kubeconfig", str(kubeconfig), "--format", "json")
    assert_clean(result)
    assert all(".." not in r.path and "?" not in r.path for r in hostile_api.requests)
    assert "malformed" in result.stdout
