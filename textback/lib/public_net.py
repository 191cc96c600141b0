"""HTTP connections only to the public internet, for URLs that came from outside (a defence against SSRF).

A host name is resolved once, every address it resolves to must be a public one, and the connection is made to
an address that was checked, so a DNS answer that changes between the check and the connection (rebinding)
gains nothing. TLS is still verified against the host name: httpcore hands it to the TLS layer as the server
name, whatever address the socket went to.

A name that resolves to a mix of public and private addresses is refused: no service we fetch from does that.
The resolver call itself has no timeout of its own (the system resolver's applies), as with any httpx request.
"""

import ipaddress
import socket
from collections.abc import Callable, Iterable

import httpcore
import httpx

# IPv6 ranges that carry an IPv4 address in their last 32 bits: NAT64, and the old "IPv4-compatible" form.
EMBEDDING = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("::/96"))

Resolve = Callable[..., list]  # socket.getaddrinfo's shape


class NotPublic(Exception):
    """The host is, or resolves to, an address on this machine or on a private network."""

    def __init__(self, host: str, address: str):
        self.host, self.address = host, address
        super().__init__(f"{host} resolves to {address}, which is not a public internet address")


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one stands for (mapped, 6to4, Teredo, NAT64, compatible): it decides where it leads."""
    for embedded in (ip.ipv4_mapped, ip.sixtofour, ip.teredo[1] if ip.teredo else None):
        if embedded is not None:
            return embedded
    return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF) if any(ip in net for net in EMBEDDING) else None


def is_public(address: str) -> bool:
    """True for a unicast address on the public internet; False for loopback, private, link-local (the cloud
    metadata service at 169.254.169.254), shared, reserved, multicast and documentation ranges."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])  # an IPv6 scope ("fe80::1%eth0") is not part of it
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(ip)
        if embedded is not None and not is_public(str(embedded)):
            return False
        if ip.ipv4_mapped:
            return True
    return ip.is_global and not ip.is_multicast


class PublicOnlyBackend(httpcore.NetworkBackend):
    """httpcore's network layer, connecting only to checked public addresses. `trusted(host, port)` names the
    exceptions (the operator's own configured service on this machine), which are connected to as they are."""

    def __init__(
        self,
        trusted: Callable[[str, int], bool],
        resolve: Resolve = socket.getaddrinfo,
        network: httpcore.NetworkBackend | None = None,
    ):
        self._trusted, self._resolve = trusted, resolve
        self._backend = network or httpcore.SyncBackend()

    def public_addresses(self, host: str, port: int) -> list[str]:
        """Every address `host` resolves to, once; NotPublic if any of them is not public."""
        try:
            found = self._resolve(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
        addresses = list(dict.fromkeys(str(info[4][0]) for info in found))
        for address in addresses:
            if not is_public(address):
                raise NotPublic(host, address)
        if not addresses:
            raise httpcore.ConnectError(f"{host} resolves to no address")
        return addresses

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable | None = None,
    ) -> httpcore.NetworkStream:
        if self._trusted(host, port):
            return self._backend.connect_tcp(host, port, timeout, local_address, socket_options)
        failure = None
        for address in self.public_addresses(host, port):
            try:
                return self._backend.connect_tcp(address, port, timeout, local_address, socket_options)
            except httpcore.ConnectError as exc:
                failure = exc
        raise failure

    def connect_unix_socket(self, path: str, timeout=None, socket_options=None) -> httpcore.NetworkStream:
        raise NotPublic(path, "a socket on this machine")

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


def leads_to_private_address(host: str, port: int, resolve: Resolve = socket.getaddrinfo) -> bool:
    """True when the host is, or resolves to, an address that is not public (as a connection would be refused).
    A name that does not resolve now is not counted: the connection is checked again when it is made."""
    try:
        PublicOnlyBackend(lambda host, port: False, resolve).public_addresses(host, port)
    except NotPublic:
        return True
    except httpcore.ConnectError:
        return False
    return False


def transport(trusted: Callable[[str, int], bool], limits: httpx.Limits) -> httpx.HTTPTransport:
    """An httpx transport whose connections go only to public addresses (and to `trusted` host:ports).

    httpx takes no network backend, but its transport is a thin layer over an httpcore pool, which does: the
    pool is replaced by one like it on PublicOnlyBackend. (`_pool` is httpx's; the tests that refuse private
    addresses fail if it is ever renamed, rather than the check silently going away.)"""
    checked = httpx.HTTPTransport(limits=limits)
    checked._pool = httpcore.ConnectionPool(
        ssl_context=httpx.create_ssl_context(),
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry,
        network_backend=PublicOnlyBackend(trusted),
    )
    return checked
