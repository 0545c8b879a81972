"""Operating settings: retention horizons, the metrics endpoint and log output
(``HOOKLINE_RETENTION_*``, ``HOOKLINE_METRICS*``, ``HOOKLINE_LOG_*``)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from hookline import logs

DAY = 86400.0


@dataclass(frozen=True)
class RetentionSettings:
    """How long rows are kept, and how the retention pass paces itself.

    ``RetentionSettings(days=1, interval_seconds=5)`` keeps a day of messages and looks every 5 s.
    ``days=0`` keeps messages forever (payloads still expire as each message asked).
    """

    days: float = 90.0  # messages, dispatches, attempts; identity events are messages too
    operational_days: float = 90.0  # operational events, background tasks, ended identity sessions
    interval_seconds: float = 60.0  # between passes once a pass found nothing more to do
    batch: int = 500  # rows per transaction: small, so the write lock is never held long
    pause_seconds: float = 0.005  # between batches, so writers waiting for the lock get it first
    lease_seconds: float = 120.0  # how long a pass's lease lasts unrenewed (it renews every batch)
    partitions: bool = True  # PostgreSQL: messages and attempts partitioned by day, old days dropped

    @property
    def horizon_seconds(self) -> float | None:
        """How old a message may get before it is deleted (None: kept forever)."""
        return self.days * DAY if self.days > 0 else None


@dataclass(frozen=True)
class MetricsSettings:
    """``GET /metrics``: on by default, readable with the API token or ``token`` as a bearer token."""

    enabled: bool = True
    token: str | None = None
    sample_seconds: float = 15.0  # how often queue depth and endpoint states are read from the database
    worker_port: int | None = None  # where `hookline worker` answers /metrics (it has no API listener)


@dataclass(frozen=True)
class LogSettings:
    """Log output: ``text`` or ``json`` (one object per line), and the lowest level written."""

    format: str = "text"
    level: str = "info"


@dataclass(frozen=True)
class OpsSettings:
    """Retention, metrics and log settings together."""

    retention: RetentionSettings = RetentionSettings()
    metrics: MetricsSettings = MetricsSettings()
    worker_health_port: int | None = None  # where `hookline worker` answers GET /health (None: nowhere)
    logs: LogSettings = LogSettings()


def _days(env: Mapping[str, str], name: str, default: float) -> float:
    text = env.get(name)
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{name}: {text!r} is not a number of days") from None
    if not 0 <= value < math.inf:
        raise ValueError(f"{name}: {text!r} must be 0 (keep forever) or a number of days above zero")
    return value


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    text = env.get(name)
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{name}: {text!r} is not a number of seconds") from None
    if not 0 < value < math.inf:
        raise ValueError(f"{name}: {text!r} must be a number of seconds above zero")
    return value


def _switch(env: Mapping[str, str], name: str, default: bool) -> bool:
    text = (env.get(name) or "").strip().lower()
    if not text:
        return default
    if text in ("1", "true", "on", "yes"):
        return True
    if text in ("0", "false", "off", "no"):
        return False
    raise ValueError(f"{name}: {text!r} is neither on nor off")


def parse_ops(env: Mapping[str, str]) -> OpsSettings:
    """Read the operating settings from ``env``; ValueError naming the variable for a bad value."""
    days = _days(env, "HOOKLINE_RETENTION_DAYS", 90.0)
    retention = RetentionSettings(
        days=days,
        operational_days=_days(env, "HOOKLINE_OPERATIONAL_RETENTION_DAYS", days or 90.0),
        interval_seconds=_seconds(env, "HOOKLINE_RETENTION_INTERVAL", 60.0),
        partitions=_switch(env, "HOOKLINE_PARTITIONS", True),
    )
    token = env.get("HOOKLINE_METRICS_TOKEN") or None
    metrics = MetricsSettings(
        enabled=_switch(env, "HOOKLINE_METRICS", True),
        token=token,
        worker_port=_port(env, "HOOKLINE_METRICS_PORT"),
    )
    log_settings = LogSettings(
        logs.parse_format(env.get("HOOKLINE_LOG_FORMAT")), logs.parse_level(env.get("HOOKLINE_LOG_LEVEL"))
    )
    return OpsSettings(
        retention, metrics, worker_health_port=_port(env, "HOOKLINE_WORKER_HEALTH_PORT"), logs=log_settings
    )


def _port(env: Mapping[str, str], name: str) -> int | None:
    text = (env.get(name) or "").strip()
    if not text:
        return None
    if not text.isdigit() or not 0 <= int(text) <= 65535:
        raise ValueError(f"{name}: {text!r} is not a port number (0 to 65535)")
    return int(text)
