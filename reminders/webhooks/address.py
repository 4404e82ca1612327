"""Where a webhook may post: https only, and never to this machine's or a private network's
addresses (server-side request forgery) unless REMINDERS_WEBHOOK_ALLOW_PRIVATE says so (tests,
an internal chat server).

The address is checked when the endpoint is added, and again at every request, on the addresses
the name resolves to at that moment; the connection goes to an address that passed, so a name
that resolves elsewhere by the time of the request (DNS rebinding) does not get through. TLS
still verifies the certificate against the name in the URL.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

import httpcore

Resolver = Callable[[str, int], Iterable[str]]
SocketOption = (
    tuple[int, int, int] | tuple[int, int, bytes | bytearray] | tuple[int, int, None, int]
)


class Refused(ValueError):
    """A URL a webhook may not use, and why."""


def resolve_host(host: str, port: int) -> list[str]:
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise Refused(f"{host} does not resolve: {exc.strerror}") from exc
    return list(dict.fromkeys(str(info[4][0]) for info in found))


def forbidden(address: str) -> str | None:
    """Why an IP address is out of bounds (loopback, private, link-local, …); None if public."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    for what, test in (
        ("loopback", ip.is_loopback), ("link-local", ip.is_link_local),
        ("private", ip.is_private), ("multicast", ip.is_multicast),
        ("unspecified", ip.is_unspecified), ("reserved", ip.is_reserved),
    ):  # fmt: skip
        if test:
            return what
    return None if ip.is_global else "not a public address"


def check_url(url: str, allow_private: bool, resolve: Resolver = resolve_host) -> str:
    """The URL, if a webhook may post to it; raises Refused saying why not."""
    url = url.strip()
    try:
        parts = urlsplit(url)
        port = parts.port or 443
    except ValueError as exc:
        raise Refused(f"not a URL: {exc}") from exc
    if parts.scheme != "https":
        raise Refused("only https:// URLs: the events name people and their credentials")
    if not parts.hostname:
        raise Refused("the URL names no host")
    if parts.username or parts.password:
        raise Refused("no user or password in the URL: the request is signed instead")
    if len(url) > 2000:
        raise Refused("longer than 2000 characters")
    addresses(parts.hostname, port, allow_private, resolve)
    return url


def addresses(
    host: str, port: int, allow_private: bool, resolve: Resolver = resolve_host
) -> list[str]:
    """The addresses a host resolves to, all of them allowed; raises Refused otherwise."""
    found = list(resolve(host, port))
    if not found:
        raise Refused(f"{host} does not resolve")
    if not allow_private:
        for address in found:
            why = forbidden(address)
            if why is not None:
                raise Refused(f"{host} resolves to {address}, a {why} address "
                              "(REMINDERS_WEBHOOK_ALLOW_PRIVATE allows it)")  # fmt: skip
    return found


class GuardedBackend(httpcore.SyncBackend):
    """Connects only to addresses that pass the check, made when the connection is made."""

    def __init__(self, allow_private: bool, resolve: Resolver = resolve_host) -> None:
        self.allow_private, self.resolve = allow_private, resolve

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.NetworkStream:
        last: Exception | None = None
        for address in addresses(host, port, self.allow_private, self.resolve):
            try:
                return super().connect_tcp(address, port, timeout, local_address, socket_options)
            except httpcore.ConnectError as exc:
                last = exc
        assert last is not None
        raise last
