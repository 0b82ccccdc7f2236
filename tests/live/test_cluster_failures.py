"""read_cluster against a misbehaving API server and unusable kubeconfigs: report, continue."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from fakeapi import FakeApiServer, Fault

from capsa.sources.cluster import read_cluster
from capsa.sources.cluster_http import RetryPolicy

CLUSTERS = "/apis/cluster.x-k8s.io/v1beta2/clusters"
ROLES = "/apis/rbac.authorization.k8s.io/v1/clusterroles"


def _kinds(result: object) -> set[str]:
    return {r.kind for r in result.resources}  # type: ignore[attr-defined]


def test_forbidden_kind_is_not_assessable_and_the_rest_is_read(
    fake_api: FakeApiServer, kubeconfig: Path
) -> None:
    fake_api.inject(CLUSTERS, Fault(403))
    result = read_cluster(str(kubeconfig), None)
    assert [k for k, _ in result.not_assessable] == ["Cluster"]
    assert "403" in result.not_assessable[0][1]
    assert result.problems == []
    assert "Cluster" not in _kinds(result) and "Machine" in _kinds(result)


def test_unauthorized_kind_is_not_assessable(fake_api: FakeApiServer, kubeconfig: Path) -> None:
    fake_api.inject(CLUSTERS, Fault(401))
    result = read_cluster(str(kubeconfig), None)
    assert [k for k, _ in result.not_assessable] == ["Cluster"]


def test_a_list_answering_404_is_reported_as_not_served(
    fake_api: FakeApiServer, kubeconfig: Path
) -> None:
    fake_api.inject(CLUSTERS, Fault(404))
    result = read_cluster(str(kubeconfig), None)
    assert result.not_assessable == [
        ("Cluster", "cluster.x-k8s.io/v1beta2 clusters is not served (404)")
    ]


def test_a_group_version_gone_during_discovery_is_skipped(
    fake_api: FakeApiServer, kubeconfig: Path
) -> None:
    fake_api.inject("/apis/cluster.x-k8s.io/v1beta2", Fault(404))
    result = read_cluster(str(kubeconfig), None)
    assert result.problems == []
    versions = {r.api_version for r in result.resources if r.kind == "Cluster"}
    assert versions == {"cluster.x-k8s.io/v1beta1"}  # falls back to the next served version


def test_forbidden_discovery_of_a_group_version_is_not_assessable(
    fake_api: FakeApiServer, kubeconfig: Path
) -> None:
    fake_api.inject("/apis/clusterctl.cluster.x-k8s.io/v1alpha3", Fault(403))
    result = read_cluster(str(kubeconfig), None)
    assert result.not_assessable[0][0] == "clusterctl.cluster.x-k8s.io/v1alpha3"
    assert "Provider" not in _kinds(result)


def test_429_is_retried_after_the_time_the_server_asks_for(
    fake_api: FakeApiServer, kubeconfig: Path
) -> None:
    fake_api.inject(CLUSTERS, Fault(429, times=2, retry_after="7"))
    slept: list[float] = []
    result = read_cluster(str(kubeconfig), None, sleep=slept.append)
    assert slept == [7.0, 7.0]
    assert result.not_assessable == [] and "Cluster" in _kinds(result)
    assert sum(p.startswith(CLUSTERS) for _, p in result.requests) == 3


def test_5xx_backs_off_exponentially_then_gives_up(
    fake_api: FakeApiServer, kubeconfig: Path
) -> None:
    fake_api.inject(CLUSTERS, Fault(500, times=10))
    slept: list[float] = []
    result = read_cluster(
        str(kubeconfig), None, sleep=slept.append, retry=RetryPolicy(max_retries=3, base_delay=0.5)
    )
    assert slept == [0.5, 1.0, 2.0]
    assert [k for k, _ in result.not_assessable] == ["Cluster"]
    assert len(result.problems) == 1 and "500" in result.problems[0].message
    assert result.problems[0].path.startswith("cluster://fake-mgmt/apis/cluster.x-k8s.io")
    assert "Machine" in _kinds(result)


def test_a_503_once_is_absorbed_by_a_retry(fake_api: FakeApiServer, kubeconfig: Path) -> None:
    fake_api.inject(ROLES, Fault(503))
    slept: list[float] = []
    result = read_cluster(str(kubeconfig), None, sleep=slept.append)
    assert slept == [0.5] and result.problems == []


def test_expired_continue_token_restarts_the_list_once(
    fake_api: FakeApiServer, kubeconfig: Path
) -> None:
    fake_api.inject(ROLES, Fault(410, only_with_continue=True))
    result = read_cluster(str(kubeconfig), None, page_size=2)
    roles = [r.name for r in result.resources if r.kind == "ClusterRole"]
    assert len(roles) == len(set(roles)) == 5
    first_pages = [p for _, p in result.requests if p == f"{ROLES}?limit=2"]
    assert len(first_pages) == 2  # the list started over
    assert result.problems == []


def test_a_second_expired_token_is_reported(fake_api: FakeApiServer, kubeconfig: Path) -> None:
    fake_api.inject(ROLES, Fault(410, only_with_continue=True))
    fake_api.inject(ROLES, Fault(410, only_with_continue=True))
    result = read_cluster(str(kubeconfig), None, page_size=2)
    assert [k for k, _ in result.not_assessable] == ["ClusterRole"]
    assert "Expired" in result.problems[0].message or "410" in result.problems[0].message


def test_a_slow_answer_times_out_and_reading_continues(
    fake_api: FakeApiServer, kubeconfig: Path
) -> None:
    fake_api.inject(CLUSTERS, Fault(200, delay=1.0))
    result = read_cluster(str(kubeconfig), None, timeout=0.2)
    assert [k for k, _ in result.not_assessable] == ["Cluster"]
    assert "Timeout" in result.problems[0].message
    assert "Machine" in _kinds(result)


def test_a_rejected_token_stops_at_discovery_with_a_problem(
    fake_api: FakeApiServer, tmp_path: Path
) -> None:
    kubeconfig = fake_api.write_kubeconfig(tmp_path / "kc")
    kubeconfig.write_text(kubeconfig.read_text().replace("test-token", "stolen-token"))
    result = read_cluster(str(kubeconfig), None)
    assert result.resources == []
    assert len(result.problems) == 1 and "cannot discover" in result.problems[0].message
    assert "401" in result.problems[0].message


def test_unreachable_server_is_a_problem_not_a_traceback(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    kubeconfig = tmp_path / "kc"
    kubeconfig.write_text(
        f"""
apiVersion: v1
kind: Config
clusters: [{{name: c, cluster: {{server: "http://127.0.0.1:{port}"}}}}]
users: [{{name: u, user: {{token: t}}}}]
contexts: [{{name: ctx, context: {{cluster: c, user: u}}}}]
current-context: ctx
"""
    )
    result = read_cluster(str(kubeconfig), None, timeout=1.0)
    assert result.resources == [] and len(result.problems) == 1
    assert "Unreachable" in result.problems[0].message


@pytest.mark.parametrize(
    ("content", "context", "expected"),
    [
        (None, None, "not found"),
        ("clusters: []\ncontexts: []\n", "nope", "Context 'nope' not found"),
        (
            "clusters: []\ncontexts: []\n",
            None,
            "No current context",
        ),
        ("just a string\n", None, "kubeconfig"),
        ("clusters: [\n", None, "kubeconfig cannot be used"),
    ],
)
def test_unusable_kubeconfig_is_a_problem(
    tmp_path: Path, content: str | None, context: str | None, expected: str
) -> None:
    path = tmp_path / "kubeconfig"
    if content is not None:
        path.write_text(content)
    result = read_cluster(str(path), context)
    assert result.resources == [] and result.requests == []
    assert len(result.problems) == 1
    assert result.problems[0].path == str(path)
    assert expected in result.problems[0].message


def test_unknown_context_in_a_real_kubeconfig(fake_api: FakeApiServer, kubeconfig: Path) -> None:
    result = read_cluster(str(kubeconfig), "production")
    assert result.requests == [] and fake_api.requests == []
    assert "production" in result.problems[0].message


def test_retry_policy_caps_the_wait_and_honours_retry_after() -> None:
    policy = RetryPolicy(base_delay=1.0, max_delay=5.0)
    assert [policy.delay(i, None) for i in range(4)] == [1.0, 2.0, 4.0, 5.0]
    assert policy.delay(0, 120.0) == 5.0
    assert policy.delay(3, 0.25) == 0.25


def test_retry_after_as_an_http_date_in_the_past_means_no_wait(
    fake_api: FakeApiServer, kubeconfig: Path
) -> None:
    fake_api.inject(CLUSTERS, Fault(429, retry_after="Wed, 21 Oct 2015 07:28:00 GMT"))
    slept: list[float] = []
    result = read_cluster(str(kubeconfig), None, sleep=slept.append)
    assert slept == [0.0] and "Cluster" in _kinds(result)
