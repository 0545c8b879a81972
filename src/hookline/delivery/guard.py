"""The private-network guard: webhooks may not reach internal addresses unless configured to."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Awaitable, Callable, Sequence
from typing import Any
from urllib.parse import urlsplit

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver as ThreadedResolver  # re-exported: tests replace it here

from hookline.config import IPNetwork
from hookline.errors import HooklineError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
# not globally reachable per IANA's special-purpose registries, though older Pythons call them global
_SPECIAL_PURPOSE = (ipaddress.ip_network("192.0.0.0/24"), ipaddress.ip_network("fec0::/10"))


class UnsafeTargetError(HooklineError):
    """A webhook URL is malformed or points at a network hookline must not reach."""

    code = "unsafe_target"


class TargetGuard:
    """Decides which addresses webhooks may reach; ``allowed`` CIDRs override the private-network ban."""

    def __init__(self, allowed: Sequence[IPNetwork] = ()) -> None:
        self.allowed = tuple(allowed)

    def refusal(self, ip: IPAddress) -> str | None:
        """Why this address is refused, or None if webhooks may reach it."""
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            return self.refusal(ip.ipv4_mapped)
        if any(ip.version == net.version and ip in net for net in self.allowed):
            return None
        wrapped = ip.sixtofour if isinstance(ip, ipaddress.IPv6Address) else None
        if wrapped is not None and self.refusal(wrapped) is not None:
            return f"{ip} is a 6to4 address wrapping {wrapped}; set HOOKLINE_ALLOWED_TARGETS to allow it"
        for test, label in (
            (ip.is_loopback, "loopback"),
            (ip.is_link_local, "link-local"),
            (ip.is_multicast, "multicast"),
            (ip.is_unspecified, "unspecified"),
            (isinstance(ip, ipaddress.IPv4Address) and ip in _CGNAT, "carrier-grade NAT"),
            (ip.is_private, "private"),
            (ip.is_reserved, "reserved"),
            (any(ip.version == net.version and ip in net for net in _SPECIAL_PURPOSE), "special-purpose"),
            (not ip.is_global, "non-global"),
        ):
            if test:
                return f"{ip} is a {label} address; set HOOKLINE_ALLOWED_TARGETS to allow it"
        return None

    def check_url(self, url: str) -> str:
        """Validate a webhook URL's form and, for literal IPs and localhost, its target; return it normalized."""
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as exc:
            raise UnsafeTargetError(f"invalid URL: {exc}") from None
        if parts.scheme not in ("http", "https"):
            raise UnsafeTargetError("URL scheme must be http or https")
        host = parts.hostname
        if not host:
            raise UnsafeTargetError("URL has no host")
        if parts.username or parts.password:
            raise UnsafeTargetError("URL must not carry credentials")
        if port is not None and not 0 < port < 65536:
            raise UnsafeTargetError("URL port out of range")
        ip = literal_ip(host)
        name = host.rstrip(".").lower()
        if ip is None and (name in ("localhost", "localhost.localdomain") or name.endswith(".localhost")):
            ip = ipaddress.ip_address("127.0.0.1")
        if ip is not None:
            reason = self.refusal(ip)
            if reason:
                raise UnsafeTargetError(reason)
        return url

    def allowed_addresses(self, host: str, addresses: Sequence[str]) -> list[str]:
        """Keep the resolved addresses webhooks may reach; raise UnsafeTargetError if none remain."""
        kept = [a for a in addresses if self.refusal(ipaddress.ip_address(a.split("%", 1)[0])) is None]
        if not kept:
            reasons = {self.refusal(ipaddress.ip_address(a.split("%", 1)[0])) for a in addresses}
            raise UnsafeTargetError(
                f"{host} resolves only to refused addresses: {'; '.join(sorted(r for r in reasons if r))}"
            )
        return kept

    def filter(self, host: str, addresses: Sequence[ResolveResult]) -> list[ResolveResult]:
        """Keep the resolved addresses webhooks may reach; raise if none remain."""
        kept = [a for a in addresses if self.refusal(ipaddress.ip_address(a["host"])) is None]
        if not kept:
            reasons = {self.refusal(ipaddress.ip_address(a["host"])) for a in addresses}
            raise UnsafeTargetError(
                f"{host} resolves only to refused addresses: {'; '.join(sorted(r for r in reasons if r))}"
            )
        return kept


def literal_ip(host: str) -> IPAddress | None:
    """The address if ``host`` is an IP literal (any form the resolver would accept), else None."""
    text = host.strip("[]")
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        pass
    # inet_aton accepts legacy forms ("127.1", "0x7f.1", "2130706433") that connect() would also accept
    try:
        return ipaddress.IPv4Address(socket.inet_aton(text))
    except OSError:
        return None


def resolver_lookup(resolver: AbstractResolver) -> Callable[[str, int], Awaitable[list[str]]]:
    """Adapt an aiohttp-style resolver (``ThreadedResolver`` by default) to a plain address lookup."""

    async def lookup(host: str, port: int) -> list[str]:
        results = await resolver.resolve(host, port, socket.AF_UNSPEC)
        return list(dict.fromkeys(r["host"] for r in results))

    return lookup


class GuardedResolver(AbstractResolver):
    """An aiohttp resolver that drops refused addresses, so the check holds at connect time (no rebinding window)."""

    def __init__(self, guard: TargetGuard, inner: AbstractResolver | None = None) -> None:
        self.guard = guard
        self.inner = inner or ThreadedResolver()

    async def resolve(self, host: str, port: int = 0, family: Any = socket.AF_INET) -> list[ResolveResult]:
        results = await self.inner.resolve(host, port, family)
        try:
            return self.guard.filter(host, results)
        except UnsafeTargetError as exc:
            raise OSError(str(exc)) from None

    async def close(self) -> None:
        await self.inner.close()
