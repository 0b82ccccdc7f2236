"""Bootstrap evidence: join tokens kept alive for Machines that never joined, and the TTL.

The kubeadm bootstrap controller pushes a token's expiry forward for as long as the owning
Machine has no nodeRef, with no upper bound; a Machine stuck before joining therefore keeps
a valid join token and readable bootstrap data indefinitely.
"""

from __future__ import annotations

import re
from datetime import timedelta

from capsa.checks.findings import Finding
from capsa.live.controllers import out_of_scope
from capsa.live.finding import finding
from capsa.live.index import PROVIDER_LABEL, created, dig, labels, meta
from capsa.live.registry import LiveInput, live_check
from capsa.sources.controllers import CABPK_REPOSITORIES, manager_containers, runs_manager_image
from capsa.sources.resource import Resource

MAX_TOKEN_TTL = timedelta(minutes=15)
TTL_FLAG = "--bootstrap-token-ttl"

_UNITS = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,
    "μs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
}
_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")


def parse_go_duration(text: str) -> timedelta | None:
    """A Go time.Duration string ("15m", "1h30m", "90s") as a timedelta; None if malformed."""
    value = text.strip()
    sign = -1.0 if value.startswith("-") else 1.0
    value = value.lstrip("+-")
    if value == "0":
        return timedelta(0)
    pos, seconds = 0, 0.0
    while pos < len(value):
        match = _PART.match(value, pos)
        if match is None:
            return None
        seconds += float(match.group(1)) * _UNITS[match.group(2)]
        pos = match.end()
    return timedelta(seconds=sign * seconds) if value else None


def _owner_machine(config_meta: dict[str, object]) -> str | None:
    for ref in config_meta.get("ownerReferences") or []:  # type: ignore[attr-defined]
        if isinstance(ref, dict) and ref.get("kind") == "Machine":
            return str(ref.get("name", ""))
    return None


@live_check("CAPSA-LIVE-003")
def stale_bootstrap(live: LiveInput) -> list[Finding]:
    """KubeadmConfigs whose Machine has no nodeRef long after creation
    (`LiveOptions.stale_bootstrap_after`)."""
    index, now, stale_after = live.index, live.now, live.options.stale_bootstrap_after
    findings: list[Finding] = []
    for config in index.kind("KubeadmConfig"):
        machine_name = _owner_machine(meta(config))
        machine = index.get("Machine", config.namespace, machine_name) if machine_name else None
        if machine is None or dig(machine.body, "status", "nodeRef"):
            continue
        born = created(machine)
        if born is None or now - born <= stale_after:
            continue
        hours = (now - born).total_seconds() / 3600
        data_secret = dig(config.body, "status", "dataSecretName") or config.name
        secret = index.get("Secret", config.namespace, str(data_secret))
        held = f"; its bootstrap data Secret {data_secret} still exists" if secret else ""
        message = (
            f"Machine {machine.name} was created {hours:.1f} h ago and has no nodeRef: its join "
            f"token keeps being renewed and its bootstrap data stays readable{held}."
        )
        findings.append(finding("CAPSA-LIVE-003", config, message))
    return findings


def flag_value(args: list[object], flag: str) -> str | None:
    """The value a Go pflag command line gives `flag` (`--f=v` or `--f v`): the last one
    written, as pflag's Set overwrites the value at each occurrence; None when absent."""
    value: str | None = None
    for i, arg in enumerate(args):
        text = str(arg)
        if text.startswith(flag + "="):
            value = text.split("=", 1)[1]
        elif text == flag and i + 1 < len(args):
            value = str(args[i + 1])
    return value


BOOTSTRAP_PROVIDER = "bootstrap-kubeadm"


def _is_cabpk(live: LiveInput, dep: Resource) -> bool:
    """The kubeadm bootstrap provider's manager: a controller (proven as
    `LiveIndex.is_controller`) running its upstream image or that clusterctl's inventory
    records as that provider."""
    if not live.index.is_controller(dep):
        return False
    return (
        runs_manager_image(dep, CABPK_REPOSITORIES)
        or labels(dep).get(PROVIDER_LABEL) == BOOTSTRAP_PROVIDER
    )


@live_check("CAPSA-LIVE-004")
def token_ttl(live: LiveInput) -> list[Finding]:
    """The kubeadm bootstrap controller started with a token TTL above 15 minutes."""
    findings: list[Finding] = []
    managers = [dep for dep in live.index.kind("Deployment") if _is_cabpk(live, dep)]
    live.judged("CAPSA-LIVE-004", len(managers), "kubeadm bootstrap controller Deployment(s)")
    if not managers:
        out_of_scope(live, "CAPSA-LIVE-004", "Deployments")
    for dep in managers:
        chosen = manager_containers(dep, CABPK_REPOSITORIES)
        if not chosen:
            live.undecided(
                "CAPSA-LIVE-004",
                f"{dep.namespace}/{dep.name}: no container runs the kubeadm bootstrap manager "
                "image and none is named manager, so whose flags to read is not known",
            )
        for container in chosen:
            args = [*(container.get("command") or []), *(container.get("args") or [])]
            raw = flag_value(args, TTL_FLAG)
            ttl = parse_go_duration(raw) if raw is not None else None
            if raw is not None and ttl is None:
                live.undecided(
                    "CAPSA-LIVE-004",
                    f"{dep.namespace}/{dep.name} sets {TTL_FLAG}={raw!r}, not a Go duration",
                )
            if ttl is not None and ttl > MAX_TOKEN_TTL:
                message = (
                    f"Container {container.get('name')} runs with {TTL_FLAG}={raw}: every "
                    f"bootstrap token stays valid {ttl.total_seconds() / 60:.0f} min instead of 15."
                )
                findings.append(finding("CAPSA-LIVE-004", dep, message, str(container.get("name"))))
    return findings
