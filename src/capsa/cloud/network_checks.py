"""Which addresses a cluster security group opens a port to, with IP arithmetic CEL
lacks: the union of every source a rule on the port names (CIDRs, and the entries of
managed prefix lists), however it is split, reduced to its *public* addresses (those
outside private, CGNAT, loopback, link-local, documentation, benchmarking, multicast and
reserved space, the IANA special-purpose registries' entries no internet host sends
from). The port is open to the internet when those public addresses number more than a
/16 of IPv4 (65,536) or a /32 of IPv6: a single organisation's egress fits in that
(a legacy class B, the smallest IPv6 allocation an RIR makes an ISP), so a union past it
admits hosts the owner does not control (0.0.0.0/0 minus RFC 1918, 0.0.0.0/1, ::/1, a
cloud region's ranges anyone can rent an address in). A prefix list whose entries were
not read leaves the group undecided, naming the list; a source that is another security
group is no address range, and a pass says it was not judged."""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Iterable, Iterator
from typing import TypeAlias

from capsa.cloud.engine import cluster_groups
from capsa.cloud.registry import CloudInput, Outcome, absent, cloud_check
from capsa.display import listed
from capsa.sources.aws.facts import IngressRule, PrefixList, SecurityGroup, Where

Network: TypeAlias = ipaddress.IPv4Network | ipaddress.IPv6Network
_TCP = ("tcp", "6")

#: IPv4 no internet host sends from: the IANA IPv4 Special-Purpose Address Registry's
#: entries that are not globally reachable (RFC 6890 and successors: 0/8, RFC 1918, CGNAT
#: RFC 6598, loopback, link-local, IETF protocol assignments, documentation, benchmarking
#: RFC 2544), plus multicast (224/4) and reserved space (240/4).
_NOT_PUBLIC_V4 = (
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
    "172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24", "192.168.0.0/16", "198.18.0.0/15",
    "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
)  # fmt: skip
#: IPv6 global unicast (2000::/3) less its documentation prefixes (RFC 3849, RFC 9637);
#: the rest of IPv6 is unique-local, link-local, multicast or unassigned.
_GLOBAL_V6 = "2000::/3"
_NOT_PUBLIC_V6 = ("2001:db8::/32", "3fff::/20")
#: Public addresses a port may be open to before it counts as open to the internet.
LIMITS = {4: 2**16, 6: 2**96}
LIMIT_TEXT = {4: "a /16 (65,536 addresses)", 6: "a /32"}


def _without(whole: str, holes: Iterable[str]) -> list[Network]:
    """`whole` less every block in `holes` (each inside it), as CIDR blocks."""
    space: list[Network] = [ipaddress.ip_network(whole)]
    for text in holes:
        hole = ipaddress.ip_network(text)
        out: list[Network] = []
        for block in space:
            if _overlap(block, hole) == hole:
                out.extend(_exclude(block, hole))
            elif _overlap(block, hole) is None:
                out.append(block)
        space = out
    return space


def _overlap(one: Network, other: Network) -> Network | None:
    """The addresses two CIDR blocks share: the smaller one, or None (CIDR blocks either
    nest or are disjoint)."""
    if one.version != other.version:
        return None
    low, high = int(one.network_address), int(one.broadcast_address)
    other_low, other_high = int(other.network_address), int(other.broadcast_address)
    if low <= other_low <= high:
        return other if other.prefixlen >= one.prefixlen else one
    if other_low <= low <= other_high:
        return one
    return None


def _exclude(block: Network, hole: Network) -> list[Network]:
    if isinstance(block, ipaddress.IPv4Network) and isinstance(hole, ipaddress.IPv4Network):
        return list(block.address_exclude(hole))
    if isinstance(block, ipaddress.IPv6Network) and isinstance(hole, ipaddress.IPv6Network):
        return list(block.address_exclude(hole))
    return [block]


def _collapse(networks: Iterable[Network], version: int) -> list[Network]:
    if version == 4:
        return list(
            ipaddress.collapse_addresses(
                n for n in networks if isinstance(n, ipaddress.IPv4Network)
            )
        )
    return list(
        ipaddress.collapse_addresses(n for n in networks if isinstance(n, ipaddress.IPv6Network))
    )


PUBLIC: dict[int, list[Network]] = {
    4: _without("0.0.0.0/0", _NOT_PUBLIC_V4),
    6: _without(_GLOBAL_V6, _NOT_PUBLIC_V6),
}


def _covers(rule: IngressRule, port: int) -> bool:
    if rule.protocol == "-1":
        return True
    if rule.protocol.lower() not in _TCP:
        return False
    low = rule.from_port if rule.from_port is not None else 0
    high = rule.to_port if rule.to_port is not None else 65535
    return low <= port <= high


def _network(text: str) -> Network | None:
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None


def public_part(networks: Iterable[Network], version: int) -> list[Network]:
    """The public addresses of `networks` of one family, as collapsed CIDR blocks."""
    found = [
        shared
        for net in _collapse(networks, version)
        for block in PUBLIC[version]
        if (shared := _overlap(net, block)) is not None
    ]
    return _collapse(found, version)


PUBLIC_TOTAL = {version: sum(b.num_addresses for b in PUBLIC[version]) for version in (4, 6)}
"""How many public addresses each family has, the whole a share is of."""


def _version(text: str) -> int | None:
    net = _network(text)
    return net.version if net is not None else None


def _public_count(sources: Iterable[str], version: int) -> int:
    networks = [n for n in (_network(t) for t in sources) if n is not None]
    return sum(b.num_addresses for b in public_part(networks, version))


def _is_public(text: str) -> bool:
    net = _network(text)
    return net is not None and bool(public_part([net], net.version))


def _amount(count: int, version: int) -> str:
    share = 100 * count / PUBLIC_TOTAL[version]
    shown = f"{share:.0f}%" if share >= 1 else "under 1%"
    size = (
        f"{count:,} addresses" if version == 4 else f"about 2^{round(math.log2(count))} addresses"
    )
    return f"{shown} of public IPv{version} ({size})"


def exposure(group: SecurityGroup, port: int, lists: dict[tuple[str, str], PrefixList]) -> Outcome:
    """fail when the public addresses of the sources on `port` number more than
    `LIMITS` (the module docstring); unknown when a prefix list on such a rule was not
    read; pass otherwise, saying how many public addresses it admits."""
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
    counts = {v: _public_count(sources, v) for v in (4, 6)}
    wide = [v for v in (4, 6) if counts[v] > LIMITS[v]]
    if wide:
        through = [c for c in direct if _version(c) in wide and _is_public(c)]
        for list_id in named:
            entries = lists[(group.region, list_id)].cidrs or ()
            shown = [c for c in entries if _version(c) in wide and _is_public(c)]
            if shown:
                through.append(f"prefix list {list_id} ({listed(shown, 3)})")
        amounts = " and ".join(_amount(counts[v], v) for v in wide)
        limits = " or ".join(LIMIT_TEXT[v] for v in wide)
        text = (
            f"Port {port} is open to {amounts}, more than {limits}, through "
            f"{listed(list(dict.fromkeys(through)), 4)}."
        )
        return Outcome("fail", "SecurityGroup", group.arn, text, where)
    if unread:
        text = (
            f"undecided: the entries of prefix list(s) {', '.join(dict.fromkeys(unread))} on "
            f"port {port} were not read (ec2:GetManagedPrefixListEntries)"
        )
        return Outcome("unknown", "SecurityGroup", group.arn, text, where)
    notes = []
    public = [v for v in (4, 6) if counts[v]]
    if public:
        amounts = " and ".join(_amount(counts[v], v) for v in public)
        notes.append(
            f"port {port} is open to {amounts}, at most {' or '.join(LIMIT_TEXT[v] for v in public)}"
        )
    if peers:
        peer_ids = ", ".join(dict.fromkeys(peers))
        notes.append(f"sources that are security groups ({peer_ids}) are not judged here")
    detail = "; ".join(notes)
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
