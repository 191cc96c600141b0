"""Which address a request came from, when some of the hops in front of us are our own proxies.

X-Forwarded-For is a list each proxy appends its peer's address to, so only the right-hand end is
written by proxies we run; anything to the left of the first hop we do not trust may be made up by
the client. We therefore read it from the right, skip our own proxies, and take the first address
that is not one of them. REMOTE_ADDR alone is used when it is not a trusted proxy, since then
nobody we trust wrote the header.
"""

import ipaddress

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address
UNKNOWN = "unknown"
IPV6_SCOPE_PREFIX = 64  # one customer's line is a /64: its hosts pick any address in it at will


class InvalidNetwork(ValueError):
    """A trusted-proxy entry that is neither an address nor a network."""


def parse_networks(entries: list[str]) -> tuple[Network, ...]:
    """Addresses (10.0.0.5, ::1) and networks (10.0.0.0/8, fd00::/8) as networks; reject anything else."""
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            raise InvalidNetwork(f"{entry!r} is not an IP address or network such as 10.0.0.0/8") from None
    return tuple(networks)


def parse_address(text: str) -> Address | None:
    """An address as proxies write it (1.2.3.4, 1.2.3.4:5678, 2001:db8::1, [2001:db8::1]:443), or None."""
    text = text.strip()
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:
        text = text.partition(":")[0]  # IPv4 with a port; a bare IPv6 address has at least two colons
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped  # ::ffff:1.2.3.4 is 1.2.3.4 reached over an IPv6 socket
    return address


def _trusted(address: Address, trusted: tuple[Network, ...]) -> bool:
    return any(address.version == network.version and address in network for network in trusted)


def client_address(remote_addr: str, forwarded_for: str | None, trusted: tuple[Network, ...]) -> str:
    """The client's address: REMOTE_ADDR, or, behind trusted proxies, the right-most untrusted X-Forwarded-For hop.

    A hop that is not an address stops the walk at the last trusted one: whoever wrote it is not a
    proxy of ours, so nothing further left can be believed either.
    """
    nearest = parse_address(remote_addr)
    if nearest is None:
        return UNKNOWN
    if not _trusted(nearest, trusted):
        return str(nearest)
    for hop in reversed((forwarded_for or "").split(",")):
        if not hop.strip():
            continue
        address = parse_address(hop)
        if address is None:
            break
        nearest = address
        if not _trusted(address, trusted):
            break
    return str(nearest)


def throttle_scope(address: str) -> str:
    """What a per-address limit should count: the address itself, or for IPv6 its whole /64."""
    parsed = parse_address(address)
    if parsed is None:
        return UNKNOWN
    if isinstance(parsed, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((parsed, IPV6_SCOPE_PREFIX), strict=False))
    return str(parsed)
