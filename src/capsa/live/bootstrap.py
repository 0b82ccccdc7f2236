"""Bootstrap evidence: join tokens kept alive for Machines that never joined, and the TTL.

The kubeadm bootstrap controller pushes a token's expiry forward for as long as the owning
Machine has no nodeRef, with no upper bound; a Machine stuck before joining therefore keeps
a valid join token and readable bootstrap data indefinitely.
"""

from __future__ import annotations

import re
from datetime import timedelta

from capsa.checks.findings import Finding
from capsa.live.finding import finding
from capsa.live.index import containers, created, dig, meta
from capsa.live.registry import LiveInput, live_check

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


def _ttl_args(args: list[object]) -> list[str]:
    values: list[str] = []
    for i, arg in enumerate(args):
        text = str(arg)
        if text.startswith(TTL_FLAG + "="):
            values.append(text.split("=", 1)[1])
        elif text == TTL_FLAG and i + 1 < len(args):
            values.append(str(args[i + 1]))
    return values


@live_check("CAPSA-LIVE-004")
def token_ttl(live: LiveInput) -> list[Finding]:
    """A bootstrap controller started with a token TTL above 15 minutes."""
    findings: list[Finding] = []
    for dep in live.index.kind("Deployment"):
        for container in containers(dig(dep.body, "spec", "template", "spec")):
            args = [*(container.get("command") or []), *(container.get("args") or [])]
            for raw in _ttl_args(args):
                ttl = parse_go_duration(raw)
                if ttl is None or ttl <= MAX_TOKEN_TTL:
                    continue
                message = (
                    f"Container {container.get('name')} runs with {TTL_FLAG}={raw}: every "
                    f"bootstrap token stays valid {ttl.total_seconds() / 60:.0f} min instead of 15."
                )
                findings.append(finding("CAPSA-LIVE-004", dep, message, str(container.get("name"))))
    return findings
