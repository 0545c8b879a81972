"""Settings from the environment (``HOOKLINE_*``) and command-line flags."""

from __future__ import annotations

import ipaddress
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from hookline.errors import HooklineError
from hookline.opsconfig import OpsSettings, parse_ops

DEFAULT_PORT = 8071
DEFAULT_DATABASE_URL = "sqlite:///./hookline.db"
# How long a starting process keeps trying a database that is unavailable (restarting, failing over)
STARTUP_PATIENCE_SECONDS = 30.0
# Svix's schedule: immediately, then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h.
DEFAULT_RETRY_SCHEDULE: tuple[float, ...] = (5, 300, 1800, 7200, 18000, 36000, 36000)

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class ConfigError(HooklineError):
    """A setting has a value hookline cannot use."""

    code = "invalid_config"


def parse_networks(text: str) -> tuple[IPNetwork, ...]:
    """Parse a comma- or space-separated list of CIDRs (``127.0.0.0/8, ::1/128``)."""
    nets: list[IPNetwork] = []
    for part in text.replace(",", " ").split():
        try:
            nets.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            raise ConfigError(f"HOOKLINE_ALLOWED_TARGETS: {part!r} is not a CIDR") from None
    return tuple(nets)


def parse_schedule(text: str) -> tuple[float, ...]:
    """Parse a retry schedule: comma-separated delays in seconds (``5,300,1800``)."""
    try:
        delays = tuple(float(x) for x in text.replace(" ", "").split(",") if x)
    except ValueError:
        raise ConfigError(f"HOOKLINE_RETRY_SCHEDULE: {text!r} is not a list of seconds") from None
    if any(d < 0 for d in delays):
        raise ConfigError("HOOKLINE_RETRY_SCHEDULE: delays must not be negative")
    return delays


def parse_seconds(name: str, text: str) -> float:
    """Parse the value of setting ``name``: a number of seconds above zero (``15``, ``0.5``)."""
    try:
        value = float(text)
    except ValueError:
        raise ConfigError(f"{name}: {text!r} is not a number of seconds") from None
    if not 0 < value < math.inf:
        raise ConfigError(f"{name}: {text!r} must be a number of seconds above zero")
    return value


# An API token reaches all of /api/v1: it must be as hard to guess as a generated one (`hl_` and 43
# random URL-safe characters, about 256 bits). 32 characters drawn from 16 or more distinct ones hold
# at least 128 bits when random; a word, a repeated pattern or a short token does not pass.
API_TOKEN_MIN_LENGTH = 32
API_TOKEN_MIN_DISTINCT = 16


def parse_count(name: str, text: str) -> int:
    """A whole number of at least 1 from an environment variable, or a ConfigError naming it."""
    try:
        value = int(text.strip())
    except ValueError:
        raise ConfigError(f"{name}: {text!r} is not a whole number") from None
    if value < 1:
        raise ConfigError(f"{name}: {text!r} must be 1 or more")
    return value


def check_api_token(token: str) -> str:
    """Return ``HOOKLINE_API_TOKEN`` if it is strong enough; ConfigError naming the variable otherwise."""
    if (
        len(token) < API_TOKEN_MIN_LENGTH
        or len(set(token)) < API_TOKEN_MIN_DISTINCT
        or not token.isprintable()
    ):
        raise ConfigError(
            f"HOOKLINE_API_TOKEN is too weak: use at least {API_TOKEN_MIN_LENGTH} random characters "
            f"(with {API_TOKEN_MIN_DISTINCT} or more different ones), e.g. `hookline token create`, or leave it "
            "unset to have one generated"
        )
    return token


def parse_origins(text: str, name: str = "HOOKLINE_AUTHORIZED_PARTIES") -> tuple[str, ...]:
    """Parse a list of origins such as ``https://app.example.org``, comma-separated (setting ``name``)."""
    origins = []
    for part in text.replace(",", " ").split():
        scheme, sep, rest = part.rstrip("/").partition("://")
        if scheme not in ("http", "https") or not sep or not rest or "/" in rest:
            raise ConfigError(f"{name}: {part!r} is not an origin (https://host[:port])")
        origins.append(f"{scheme}://{rest.lower()}")
    return tuple(origins)


def check_database_url(url: str) -> str:
    """Refuse a database URL hookline cannot open (a misspelt scheme, a SQLite path under a file)."""
    name = "HOOKLINE_DATABASE_URL (or --database)"
    if url.startswith(("postgresql://", "postgres://")):
        return url
    if not url.startswith("sqlite:///"):
        raise ConfigError(f"{name}: {url!r} is not a database URL: use sqlite:///path.db or postgresql://…")
    path = url[len("sqlite:///") :]
    if path == ":memory:":
        return url
    if not path:
        raise ConfigError(f"{name}: {url!r} names no file: use sqlite:///path.db")
    target = Path(path)
    if target.is_dir():
        raise ConfigError(f"{name}: {url!r}: {target} is a directory, not a database file")
    # the file, or the directories it will be created in, must be possible
    existing = target if target.exists() else target.parent
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if existing != target and not existing.is_dir():
        raise ConfigError(f"{name}: {url!r}: {existing} is a file, so no database can be created under it")
    if existing != target and not os.access(existing, os.W_OK | os.X_OK):
        raise ConfigError(f"{name}: {url!r}: no permission to create it in {existing}")
    return url


def parse_port(text: str) -> int:
    """Parse ``HOOKLINE_PORT``: a TCP port number."""
    if not text.strip().isdigit() or not 0 <= int(text) <= 65535:
        raise ConfigError(f"HOOKLINE_PORT (or --port): {text!r} is not a port number (0 to 65535)")
    return int(text)


def _ops(env: Mapping[str, str]) -> OpsSettings:
    try:
        return parse_ops(env)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


@dataclass(frozen=True)
class DeliverySettings:
    """How the worker sends: batch sizes, concurrency, timeouts and the retry schedule.

    ``DeliverySettings(retry_schedule=(0.01, 0.02))`` makes a whole schedule run in milliseconds.
    """

    retry_schedule: tuple[float, ...] = DEFAULT_RETRY_SCHEDULE
    jitter: float = 0.2  # fraction of each delay added or removed at random
    request_timeout: float = 15.0
    claim_batch: int = 500
    max_in_flight: int = 256
    lease_seconds: float = 60.0
    idle_recheck_seconds: float = 5.0  # fallback timer when no wake-up arrives
    # a worker standing by (its claims keep finding nothing) takes only work that has been due this
    # long, and lets announcements gather this long before it claims (doubling while it finds nothing,
    # up to a second)
    claim_backoff_seconds: float = 0.05
    # a busy worker (an eighth of max_in_flight or more in flight) lets announcements gather this long,
    # so one claim takes the work of several; working off a backlog, it waits at most this long for a
    # quarter of its slots to come free before it claims
    claim_gather_seconds: float = 0.02
    # a busy worker working off a backlog lets outcomes gather this long before it records them
    # (unless a quarter of max_in_flight are already waiting), so one statement records many
    outcome_gather_seconds: float = 0.01
    disable_after_seconds: float = 5 * 24 * 3600
    response_body_limit: int = 4096
    allowed_targets: tuple[IPNetwork, ...] = ()
    retry_after_cap_seconds: float = 3600.0
    # deliveries one endpoint may have under way at once, over every worker, unless it sets its own
    # maxInFlight (a quarter of a worker's slots by default: one endpoint never takes them all)
    endpoint_max_in_flight: int = 64
    # the circuit breaker: an endpoint fails fast after this many unreachable tries in a row, and is
    # probed again after as long as it has been failing, within these bounds (docs/delivery.md)
    breaker_threshold: int = 5
    breaker_min_seconds: float = 5.0
    breaker_max_seconds: float = 300.0


@dataclass(frozen=True)
class Settings:
    """Everything a hookline process is configured with."""

    database_url: str = DEFAULT_DATABASE_URL
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    api_token: str | None = None
    secret_key: str | None = None
    run_worker: bool = True
    public_url: str | None = None
    max_payload_bytes: int = 1024 * 1024
    idempotency_seconds: float = 24 * 3600
    # origins (besides this server's) whose pages may sign users in and receive their session tokens
    authorized_parties: tuple[str, ...] = ()
    # origins (besides this server's) that hosted pages may send a browser to after signing in
    allowed_redirect_origins: tuple[str, ...] = ()
    # origins whose pages may embed the customer portal in an iframe (CSP frame-ancestors)
    portal_frame_ancestors: tuple[str, ...] = ()
    # the key(s) sealing secrets at rest: base64url of 32 bytes, comma-separated, the first sealing
    encryption_key: str | None = None
    delivery: DeliverySettings = field(default_factory=DeliverySettings)
    ops: OpsSettings = field(default_factory=OpsSettings)  # retention and metrics

    @property
    def base_url(self) -> str:
        """The URL clients reach this server on."""
        return self.public_url or f"http://{self.host}:{self.port}"

    def with_(self, **changes: object) -> Settings:
        """Return a copy with some fields changed."""
        return replace(self, **changes)  # type: ignore[arg-type]

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Read ``HOOKLINE_*`` variables; keyword overrides (from flags) win when not None."""
        e = os.environ if env is None else env
        delivery = DeliverySettings()
        if e.get("HOOKLINE_ALLOWED_TARGETS"):
            delivery = replace(delivery, allowed_targets=parse_networks(e["HOOKLINE_ALLOWED_TARGETS"]))
        if e.get("HOOKLINE_RETRY_SCHEDULE"):
            delivery = replace(delivery, retry_schedule=parse_schedule(e["HOOKLINE_RETRY_SCHEDULE"]))
        if e.get("HOOKLINE_REQUEST_TIMEOUT"):
            timeout = parse_seconds("HOOKLINE_REQUEST_TIMEOUT", e["HOOKLINE_REQUEST_TIMEOUT"])
            delivery = replace(delivery, request_timeout=timeout)
        if e.get("HOOKLINE_ENDPOINT_MAX_IN_FLIGHT"):
            cap = parse_count("HOOKLINE_ENDPOINT_MAX_IN_FLIGHT", e["HOOKLINE_ENDPOINT_MAX_IN_FLIGHT"])
            delivery = replace(delivery, endpoint_max_in_flight=cap)
        if e.get("HOOKLINE_BREAKER_THRESHOLD"):
            threshold = parse_count("HOOKLINE_BREAKER_THRESHOLD", e["HOOKLINE_BREAKER_THRESHOLD"])
            delivery = replace(delivery, breaker_threshold=threshold)
        if e.get("HOOKLINE_LEASE_SECONDS"):
            lease = parse_seconds("HOOKLINE_LEASE_SECONDS", e["HOOKLINE_LEASE_SECONDS"])
            delivery = replace(delivery, lease_seconds=lease)
        settings = cls(
            database_url=e.get("HOOKLINE_DATABASE_URL") or DEFAULT_DATABASE_URL,
            host=e.get("HOOKLINE_HOST") or "127.0.0.1",
            port=parse_port(e.get("HOOKLINE_PORT") or str(DEFAULT_PORT)),
            api_token=check_api_token(e["HOOKLINE_API_TOKEN"]) if e.get("HOOKLINE_API_TOKEN") else None,
            secret_key=e.get("HOOKLINE_SECRET_KEY") or None,
            public_url=e.get("HOOKLINE_PUBLIC_URL") or None,
            authorized_parties=parse_origins(e.get("HOOKLINE_AUTHORIZED_PARTIES") or ""),
            allowed_redirect_origins=parse_origins(
                e.get("HOOKLINE_ALLOWED_REDIRECT_ORIGINS") or "", "HOOKLINE_ALLOWED_REDIRECT_ORIGINS"
            ),
            portal_frame_ancestors=parse_origins(
                e.get("HOOKLINE_PORTAL_FRAME_ANCESTORS") or "", "HOOKLINE_PORTAL_FRAME_ANCESTORS"
            ),
            encryption_key=e.get("HOOKLINE_ENCRYPTION_KEY") or None,
            delivery=delivery,
            ops=_ops(e),
        )
        settings = settings.with_(**{k: v for k, v in overrides.items() if v is not None})
        check_database_url(settings.database_url)
        parse_port(str(settings.port))  # a --port flag is checked as HOOKLINE_PORT is
        return settings
