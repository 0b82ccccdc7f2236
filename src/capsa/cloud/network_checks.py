"""Which addresses a cluster security group opens a port to, with IP arithmetic CEL
lacks: the union of every source a rule on the port names (CIDRs, and the entries of
managed prefix lists) is open to the internet when it covers all of IPv4 or of IPv6,
however it is split (0.0.0.0/1 plus 128.0.0.0/1). A prefix list whose entries were not
read leaves the group undecided, naming the list; a source that is another security
group is no address range, and a pass says it was not judged."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator

from capsa.cloud.engine import cluster_groups
from capsa.cloud.registry import CloudInput, Outcome, absent, cloud_check
from capsa.display import listed
from capsa.sources.aws.facts import IngressRule, PrefixList, SecurityGroup, Where

_EVERYTHING = (ipaddress.ip_network("0.0.0.0/0"), ipaddress.ip_network("::/0"))
_TCP = ("tcp", "6")


def _covers(rule: IngressRule, port: int) -> bool:
    if rule.protocol == "-1":
        return True
    if rule.protocol.lower() not in _TCP:
        return False
    low = rule.from_port if rule.from_port is not None else 0
    high = rule.to_port if rule.to_port is not None else 65535
    return low <= port <= high


def _version(text: str) -> int | None:
    try:
        return ipaddress.ip_network(text, strict=False).version
    except ValueError:
        return None


def _whole_families(sources: list[str]) -> list[str]:
    """The address families ("IPv4", "IPv6") whose every address `sources` cover."""
    networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
    for text in sources:
        try:
            networks.append(ipaddress.ip_network(text, strict=False))
        except ValueError:
            continue
    v4 = [n for n in networks if isinstance(n, ipaddress.IPv4Network)]
    v6 = [n for n in networks if isinstance(n, ipaddress.IPv6Network)]
    out = []
    if list(ipaddress.collapse_addresses(v4)) == [_EVERYTHING[0]]:
        out.append("IPv4")
    if list(ipaddress.collapse_addresses(v6)) == [_EVERYTHING[1]]:
        out.append("IPv6")
    return out


def exposure(group: SecurityGroup, port: int, lists: dict[tuple[str, str], PrefixList]) -> Outcome:
    """fail when the sources of the rules on `port` cover all of IPv4 or IPv6; unknown
    when a prefix list on such a rule was not read; pass otherwise."""
    where = Where(path=f"aws://{group.arn.split(':')[4]}/{group.region}")
    sources: list[str] = []
    direct: list[str] = []
    named: list[str] = []
    unread: list[str] = []
    peers: list[str] = []
    for rule in (r for r in group.ingress if _covers(r, port)):
        sources.extend(rule.cidrs)
        direct.extend(rule.cidrs)
        peers.extend(rule.groups)
        for list_id in rule.prefix_lists:
            found = lists.get((group.region, list_id))
            if found is None or found.cidrs is None:
                unread.append(list_id)
            else:
                named.append(list_id)
                sources.extend(found.cidrs)
    families = _whole_families(sources)
    if families:
        versions = {4 if f == "IPv4" else 6 for f in families}
        through = [c for c in direct if _version(c) in versions]
        for list_id in named:
            entries = lists[(group.region, list_id)].cidrs or ()
            shown = [c for c in entries if _version(c) in versions]
            if shown:
                through.append(f"prefix list {list_id} ({listed(shown, 3)})")
        text = (
            f"Port {port} is open to every {' and every '.join(families)} address through "
            f"{listed(list(dict.fromkeys(through)), 4)}."
        )
        return Outcome("fail", "SecurityGroup", group.arn, text, where)
    if unread:
        text = (
            f"undecided: the entries of prefix list(s) {', '.join(dict.fromkeys(unread))} on "
            f"port {port} were not read (ec2:GetManagedPrefixListEntries)"
        )
        return Outcome("unknown", "SecurityGroup", group.arn, text, where)
    detail = ""
    if peers:
        peer_ids = ", ".join(dict.fromkeys(peers))
        detail = f"sources that are security groups ({peer_ids}) are not judged here"
    return Outcome("pass", "SecurityGroup", group.arn, detail, where)


def _judge(inp: CloudInput, port: int) -> Iterator[Outcome]:
    lists = {(p.region, p.id): p for p in inp.facts.prefix_lists}
    judged = False
    for group in cluster_groups(inp.facts):
        judged = True
        yield exposure(group, port, lists)
    if not judged:
        yield absent(inp.facts, "CAPA-tagged security group")


@cloud_check("CAPSA-AWS-025")
def ssh_open_to_the_internet(inp: CloudInput) -> Iterator[Outcome]:
    yield from _judge(inp, 22)


@cloud_check("CAPSA-AWS-026")
def api_server_port_open_to_the_internet(inp: CloudInput) -> Iterator[Outcome]:
    yield from _judge(inp, 6443)
