"""Where a webhook may connect: public addresses only, checked after resolution, and pinned.

An organization's admin chooses the webhook URL, so without these rules the worker would
fetch any address it can reach from inside the network (cloud metadata at 169.254.169.254,
databases on 10.x, the service itself on 127.0.0.1): server-side request forgery.

- :func:`vet` turns a host into the addresses it stands for and refuses the lot if any is
  loopback, private, link-local, shared (CGNAT, 100.64/10), multicast, reserved,
  unspecified, an IPv4-mapped or -compatible IPv6 address, or otherwise not global. Host
  spellings that C resolvers read as IPv4 (``0x7f000001``, ``2130706433``, ``0177.0.0.1``,
  ``127.1``, a trailing dot) are parsed here the way ``inet_aton`` reads them, so what is
  checked is what a connection would reach; ``localhost`` and ``*.localhost`` are loopback
  by definition (RFC 6761) whatever a resolver says.
- :class:`PinnedTransport` connects to the address that was checked, never resolving the
  name a second time (a DNS answer that changes between check and connect, "DNS
  rebinding", gets nowhere), while the Host header, TLS SNI and certificate verification
  still use the URL's host name.
- ``KAM_WEBHOOK_ALLOW_NETWORKS`` (CIDR list, empty by default) lets an on-premise install
  reach a receiver inside its own network: an address in one of these networks passes.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import ssl
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpcore
import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
#: ``resolve(host, port)`` → the IP addresses (text) the host name stands for.
Resolver = Callable[[str, int], Sequence[str]]

_SHARED = ipaddress.ip_network("100.64.0.0/10")  # RFC 6598 carrier-grade NAT
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")  # deprecated ::a.b.c.d
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
_SIX_TO_FOUR = ipaddress.ip_network("2002::/16")
_DIGITS = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$")


class EgressRefused(ValueError):
    """The host is, or resolves to, an address webhooks must not reach."""

    def __init__(self, host: str, problem: str) -> None:
        super().__init__(f"{host}: {problem}")
        self.host = host
        self.problem = problem


class Unresolvable(OSError):
    """The host name has no address right now (a DNS failure, worth retrying later)."""


def resolve(host: str, port: int) -> list[str]:
    """The system resolver: every address ``host`` has for a TCP connection to ``port``."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise Unresolvable(f"{host}: {exc}") from None
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def parse_networks(text: str) -> tuple[IPNetwork, ...]:
    """``"10.20.0.0/16, 192.168.5.7"`` → networks; raises ValueError naming the bad entry."""
    networks = []
    for entry in re.split(r"[,\s]+", text.strip()):
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError as exc:
            raise ValueError(f"{entry!r} is not an IP network ({exc})") from None
    return tuple(networks)


def _part(text: str) -> int | None:
    """One part of a loose IPv4 literal: decimal, 0x hex or 0-led octal (as inet_aton)."""
    if text.startswith("0x"):
        return int(text[2:] or "0", 16)
    if len(text) > 1 and text.startswith("0"):
        return int(text, 8) if re.fullmatch(r"[0-7]+", text) else None
    return int(text)


def loose_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """The IPv4 address a resolver reads in ``host`` (``127.1``, ``0x7f000001``, …), or None
    when ``host`` is a name; raises ValueError for a number that is no valid address."""
    labels = host.lower().split(".")
    if not _DIGITS.match(labels[-1]):
        return None  # a name: its last label is not a number (WHATWG URL rule)
    if len(labels) > 4 or not all(_DIGITS.match(label) for label in labels):
        raise ValueError("not a valid IP address")
    parts = [_part(label) for label in labels]
    if any(part is None for part in parts):
        raise ValueError("not a valid IP address")
    *leading, last = [int(part) for part in parts if part is not None]
    if any(part > 255 for part in leading) or last >= 256 ** (4 - len(leading)):
        raise ValueError("not a valid IP address")
    value = last
    for index, part in enumerate(leading):
        value += part << (8 * (3 - index))
    return ipaddress.IPv4Address(value)


def literal_address(host: str) -> IPAddress | None:
    """The address ``host`` spells out (any IPv4 spelling, or IPv6), None for a name."""
    bare = host.strip("[]").rstrip(".")
    if ":" in bare:
        return ipaddress.IPv6Address(bare.split("%", 1)[0])  # a zone id changes nothing
    return loose_ipv4(bare)


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address a NAT64 or 6to4 address leads to."""
    if any(address in network for network in _NAT64):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address in _SIX_TO_FOUR:
        return ipaddress.IPv4Address((int(address) >> 80) & 0xFFFFFFFF)
    return None


def category(address: IPAddress) -> str | None:
    """Why webhooks must not go to ``address`` (e.g. "loopback"), or None if it is public."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return "IPv4-mapped IPv6"
        if address in _IPV4_COMPATIBLE and not (address.is_loopback or address.is_unspecified):
            return "IPv4-compatible IPv6"
        embedded = _embedded_ipv4(address)
        if embedded is not None and category(embedded) is not None:
            return f"translated ({category(embedded)})"
    checks = (
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("shared (CGNAT)", isinstance(address, ipaddress.IPv4Address) and address in _SHARED),
        ("private", address.is_private and not address.is_reserved),
        ("reserved", address.is_reserved),
    )
    for name, applies in checks:
        if applies:
            return name
    return None if address.is_global else "non-public"


def _shown(address: IPAddress) -> str:
    """``::ffff:127.0.0.1`` rather than Python's ``::ffff:7f00:1``."""
    mapped = getattr(address, "ipv4_mapped", None)
    return f"::ffff:{mapped}" if mapped is not None else str(address)


@dataclass(frozen=True)
class EgressPolicy:
    """Which networks an install lets webhooks reach beyond the public Internet, and how names
    are resolved (the system resolver; tests pass their own)."""

    allowed: tuple[IPNetwork, ...] = ()
    resolver: Resolver = field(default=resolve)

    def allows(self, address: IPAddress) -> bool:
        """True for a public address or one inside an allowed network."""
        forms = [address]
        mapped = getattr(address, "ipv4_mapped", None)
        if mapped is not None:
            forms.append(mapped)
        if any(form in network for form in forms for network in self.allowed
               if network.version == form.version):
            return True
        return category(address) is None

    def vet(self, host: str, port: int) -> list[str]:
        """The addresses ``host`` stands for, every one allowed, in the resolver's order.

        Raises :class:`EgressRefused` when one is not (or the host is no valid address) and
        :class:`Unresolvable` when the name has no address now.
        """
        name = host.strip("[]").rstrip(".").lower()
        if not name:
            raise EgressRefused(host, "no host")
        try:
            literal = literal_address(name)
        except ValueError as exc:
            raise EgressRefused(host, str(exc)) from None
        if literal is not None:
            addresses: list[IPAddress] = [literal]
        elif name == "localhost" or name.endswith(".localhost"):
            addresses = [ipaddress.IPv4Address("127.0.0.1")]
        else:
            addresses = []
            for text in self.resolver(name, port):
                try:
                    addresses.append(ipaddress.ip_address(text.split("%", 1)[0]))
                except ValueError:
                    raise EgressRefused(host, f"resolves to {text!r}, not an address") from None
            if not addresses:
                raise Unresolvable(f"{host}: no address")
        for address in addresses:
            if not self.allows(address):
                shown = _shown(address)
                where = f"is {shown}" if literal is not None else f"resolves to {shown}"
                raise EgressRefused(
                    host, f"{where}, which is {category(address)}: webhooks go to public "
                    "addresses only (see KAM_WEBHOOK_ALLOW_NETWORKS for a receiver inside "
                    "your network)"
                )
        return [str(address) for address in addresses]


class _PinnedBackend(httpcore.SyncBackend):
    """Opens every TCP connection to one address, whatever host the request names."""

    def __init__(self, address: str) -> None:
        self.address = address

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.NetworkStream:
        return super().connect_tcp(
            self.address, port, timeout=timeout, local_address=local_address,
            socket_options=socket_options,
        )


class PinnedTransport(httpx.HTTPTransport):
    """An httpx transport that connects to ``address`` (already vetted) while the Host
    header, TLS SNI and the certificate check use the URL's host name; no proxy from the
    environment, so nothing else resolves the name either."""

    def __init__(self, address: str, *, verify: ssl.SSLContext | bool = True) -> None:
        super().__init__(verify=verify, trust_env=False)
        # httpx builds its pool without a way to choose the network backend: replace it
        # with the same pool connecting through the pinned backend.
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(verify=verify, trust_env=False),
            max_connections=1,
            network_backend=_PinnedBackend(address),
        )
