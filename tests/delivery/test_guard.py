"""The private-network guard: which addresses and URLs webhooks may target."""

from __future__ import annotations

import ipaddress

import pytest

from hookline.config import ConfigError, parse_networks
from hookline.delivery.guard import GuardedResolver, TargetGuard, UnsafeTargetError, literal_ip
from tests.delivery.fakedns import FakeResolver


def refusal(address: str, allowed: str = "") -> str | None:
    return TargetGuard(parse_networks(allowed)).refusal(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("10.0.0.1", "private"),
        ("172.16.5.4", "private"),
        ("192.168.1.1", "private"),
        ("fd00::1", "private"),
        ("fc00::1", "private"),
        ("127.0.0.1", "loopback"),
        ("127.255.255.254", "loopback"),
        ("::1", "loopback"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("fe80::1%eth0", "link-local"),
        ("100.64.0.1", "carrier-grade NAT"),
        ("100.127.255.254", "carrier-grade NAT"),
        ("224.0.0.1", "multicast"),
        ("239.255.255.250", "multicast"),
        ("ff02::1", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("::ffff:10.0.0.1", "private"),
        ("::ffff:127.0.0.1", "loopback"),
        ("::ffff:169.254.169.254", "link-local"),
    ],
)
def test_internal_addresses_are_refused_with_their_kind(address: str, kind: str) -> None:
    reason = refusal(address)
    assert reason is not None, f"{address} must be refused"
    assert kind in reason
    assert "HOOKLINE_ALLOWED_TARGETS" in reason, "the refusal says how to allow it"


@pytest.mark.parametrize(
    "address",
    [
        "240.0.0.1",  # reserved (class E)
        "255.255.255.255",  # broadcast
        "192.0.2.10",  # documentation
        "198.18.0.1",  # benchmarking
        "192.0.0.8",  # IETF protocol assignments
        "0.1.2.3",  # "this network"
        "2001:db8::1",  # documentation
        "::7f00:1",  # IPv4-compatible ::127.0.0.1
        "100::1",  # discard-only
        "fec0::1",  # deprecated site-local
        "2002:7f00:1::1",  # 6to4 wrapping 127.0.0.1
        "2002:a00:1::1",  # 6to4 wrapping 10.0.0.1
    ],
)
def test_reserved_and_special_purpose_addresses_are_refused(address: str) -> None:
    assert refusal(address) is not None, f"{address} must be refused"


@pytest.mark.parametrize("address", ["8.8.8.8", "93.184.216.34", "2606:4700:4700::1111", "::ffff:8.8.8.8"])
def test_public_addresses_are_allowed(address: str) -> None:
    assert refusal(address) is None


def test_allowed_cidrs_override_the_ban_only_inside_them() -> None:
    assert refusal("10.1.2.3", "10.0.0.0/8") is None
    assert refusal("192.168.1.1", "10.0.0.0/8") is not None
    assert refusal("127.0.0.1", "127.0.0.0/8, ::1/128") is None
    assert refusal("::1", "127.0.0.0/8, ::1/128") is None
    assert refusal("169.254.169.254", "127.0.0.0/8 ::1/128") is not None


def test_allowed_ipv4_cidr_covers_its_ipv4_mapped_form() -> None:
    assert refusal("::ffff:127.0.0.1", "127.0.0.0/8") is None
    assert refusal("::ffff:10.0.0.1", "127.0.0.0/8") is not None


def test_allowed_targets_must_be_cidrs() -> None:
    with pytest.raises(ConfigError, match="HOOKLINE_ALLOWED_TARGETS"):
        parse_networks("127.0.0.0/8, intranet")


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),  # one decimal number
        ("0x7f000001", "127.0.0.1"),  # one hex number
        ("0x7f.1", "127.0.0.1"),  # hex and shortened
        ("127.1", "127.0.0.1"),  # shortened
        ("017700000001", "127.0.0.1"),  # octal
        ("0", "0.0.0.0"),
        ("[::1]", "::1"),
        ("::ffff:10.0.0.1", "::ffff:10.0.0.1"),
    ],
)
def test_literal_ip_reads_every_form_connect_accepts(host: str, address: str) -> None:
    assert literal_ip(host) == ipaddress.ip_address(address)


@pytest.mark.parametrize("host", ["example.com", "hooks.example.test", "1e1", "localhost"])
def test_names_are_not_literal_ips(host: str) -> None:
    assert literal_ip(host) is None


def check(url: str, allowed: str = "") -> str:
    return TargetGuard(parse_networks(allowed)).check_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.1/hook",
        "http://192.168.0.10:8080/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://100.64.1.1/",
        "http://224.0.0.1/",
        "http://0.0.0.0:8000/",
        "http://[::]/",
        "http://[::1]:8080/",
        "http://[fe80::1%25eth0]/",
        "http://[::ffff:10.0.0.1]/",
        "http://[::ffff:7f00:1]/",
        "http://2130706433/",
        "http://0x7f.1/",
        "http://127.1/",
        "http://0177.0.0.1/",
        "https://127.0.0.1/",
    ],
)
def test_urls_with_internal_literal_addresses_are_refused(url: str) -> None:
    with pytest.raises(UnsafeTargetError, match="address"):
        check(url)


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost/",
        "http://LOCALHOST:8080/hook",
        "http://localhost./",
        "http://localhost.localdomain/",
        "http://api.localhost/",
        "http://api.localhost./",
    ],
)
def test_localhost_names_are_refused(url: str) -> None:
    with pytest.raises(UnsafeTargetError, match="loopback"):
        check(url)


def test_localhost_is_allowed_when_loopback_is() -> None:
    assert check("http://localhost:8080/hook", "127.0.0.0/8") == "http://localhost:8080/hook"
    assert check("http://127.1/", "127.0.0.0/8") == "http://127.1/"


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/hook",
        "http://example.com:8080/a?b=c",
        "https://93.184.216.34/",
        "https://[2606:4700::1]/",
    ],
)
def test_public_urls_pass(url: str) -> None:
    assert check(url) == url


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://example.com/hook", "scheme"),
        ("file:///etc/passwd", "scheme"),
        ("javascript:alert(1)", "scheme"),
        ("example.com/hook", "scheme"),
        ("http:///hook", "no host"),
        ("http://:8080/hook", "no host"),
        ("https://user:pass@example.com/hook", "credentials"),
        ("https://user@example.com/hook", "credentials"),
        ("http://example.com:99999/", "(?i)port"),
        ("http://[::1/", "invalid URL"),
    ],
)
def test_malformed_urls_are_refused_with_the_reason(url: str, reason: str) -> None:
    with pytest.raises(UnsafeTargetError, match=reason):
        check(url)


async def test_resolver_drops_refused_addresses_and_keeps_the_rest() -> None:
    inner = FakeResolver({"mixed.example.test": ["10.0.0.7", "93.184.216.34", "127.0.0.1"]})
    resolver = GuardedResolver(TargetGuard(), inner)
    results = await resolver.resolve("mixed.example.test", 443)
    assert [r["host"] for r in results] == ["93.184.216.34"]
    assert results[0]["port"] == 443


@pytest.mark.parametrize(
    "addresses", [["127.0.0.1"], ["10.0.0.1", "192.168.1.1"], ["169.254.169.254"], ["::1"]]
)
async def test_resolver_refuses_a_name_with_only_internal_addresses(addresses: list[str]) -> None:
    resolver = GuardedResolver(TargetGuard(), FakeResolver({"internal.example.test": addresses}))
    with pytest.raises(OSError, match="resolves only to refused addresses"):
        await resolver.resolve("internal.example.test", 80)


async def test_resolver_lets_allowed_internal_addresses_through() -> None:
    guard = TargetGuard(parse_networks("10.0.0.0/8"))
    resolver = GuardedResolver(guard, FakeResolver({"svc.internal": ["10.0.0.9", "192.168.1.9"]}))
    assert [r["host"] for r in await resolver.resolve("svc.internal", 80)] == ["10.0.0.9"]


async def test_resolver_passes_lookup_failures_through() -> None:
    resolver = GuardedResolver(TargetGuard(), FakeResolver())
    with pytest.raises(OSError, match="does not resolve"):
        await resolver.resolve("nowhere.example.test", 80)
