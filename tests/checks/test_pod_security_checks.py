"""CAPSA-PSA-*: Pod Security admission configuration, and host mounts on Docker machines."""

from __future__ import annotations

import pytest
from checks_support import api_args, kubeadm, outcome

PATH = "/etc/kubernetes/kube-apiserver-admission-pss.yaml"


def admission(enforce: str, inline: bool = True) -> str:
    """files[] entries for an AdmissionConfiguration whose PodSecurity enforces `enforce`."""
    if inline:
        content = (
            "apiVersion: apiserver.config.k8s.io/v1\nkind: AdmissionConfiguration\nplugins:\n"
            "- name: PodSecurity\n  configuration:\n"
            "    apiVersion: pod-security.admission.config.k8s.io/v1\n"
            f"    kind: PodSecurityConfiguration\n    defaults:\n      enforce: {enforce}\n"
        )
        files = [(PATH, content)]
    else:
        main = (
            "apiVersion: apiserver.config.k8s.io/v1\nkind: AdmissionConfiguration\nplugins:\n"
            "- name: PodSecurity\n  path: /etc/kubernetes/pss.yaml\n"
        )
        pss = f"apiVersion: pod-security.admission.config.k8s.io/v1\nkind: PodSecurityConfiguration\ndefaults:\n  enforce: {enforce}\n"
        files = [(PATH, main), ("/etc/kubernetes/pss.yaml", pss)]
    out = "files:\n"
    for path, content in files:
        body = "".join(f"    {line}\n" for line in content.splitlines())
        out += f"- path: {path}\n  content: |\n{body}"
    return out


@pytest.mark.parametrize("kind", ["KubeadmControlPlane", "KubeadmControlPlaneTemplate"])
@pytest.mark.parametrize("api", ["v1beta1", "v1beta2"])
@pytest.mark.parametrize(
    ("flag", "files", "expected"),
    [
        (False, "", "fail"),
        (True, "", "fail"),
        (True, admission("privileged"), "fail"),
        (True, admission("baseline"), "pass"),
        (True, admission("restricted"), "pass"),
        (True, admission("restricted", inline=False), "pass"),
        (True, admission("privileged", inline=False), "fail"),
        (False, admission("baseline"), "fail"),
        (True, "files:\n- {path: " + PATH + ", content: 'not: [yaml'}\n", "fail"),
    ],
)
def test_psa_001(kind: str, api: str, flag: bool, files: str, expected: str) -> None:
    args = (
        api_args(api, {"admission-control-config-file": PATH})
        if flag
        else api_args(api, {"v": '"2"'})
    )
    assert outcome("CAPSA-PSA-001", kubeadm(kind, api, args + files)) == expected


def test_psa_001_policy_from_a_secret_is_unknown() -> None:
    args = api_args("v1beta2", {"admission-control-config-file": PATH})
    files = f"files:\n- path: {PATH}\n  contentFrom: {{secret: {{name: pss, key: cfg}}}}\n"
    text = kubeadm("KubeadmControlPlane", "v1beta2", args + files)
    assert outcome("CAPSA-PSA-001", text) == "unknown"


@pytest.mark.parametrize(
    ("kind", "wrap"),
    [
        ("DockerMachineTemplate", "  template:\n    spec:\n      {mounts}"),
        ("DockerMachine", "  {mounts}"),
        (
            "DevMachineTemplate",
            "  template:\n    spec:\n      backend:\n        docker:\n          {mounts}",
        ),
    ],
)
def test_psa_002_docker_host_mounts(kind: str, wrap: str) -> None:
    head = f"apiVersion: infrastructure.cluster.x-k8s.io/v1beta2\nkind: {kind}\nmetadata: {{name: d}}\nspec:\n"

    def text(host: str) -> str:
        return (
            head
            + wrap.format(mounts=f"extraMounts: [{{containerPath: /x, hostPath: {host}}}]")
            + "\n"
        )

    assert outcome("CAPSA-PSA-002", text("/var/run/docker.sock")) == "fail"
    assert outcome("CAPSA-PSA-002", text("/")) == "fail"
    assert outcome("CAPSA-PSA-002", text("/tmp/cache")) == "pass"
