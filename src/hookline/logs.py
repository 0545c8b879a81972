"""Log output of ``hookline serve`` and ``hookline worker``: plain text, or one JSON object per line.

``HOOKLINE_LOG_FORMAT=json`` writes ``{"time", "level", "logger", "message", ...}`` per record, with
the fields a record was given as ``extra`` (``message_id``, ``endpoint_id``, ``outcome``, ...) beside
them, so a log pipeline can filter by message or endpoint without parsing sentences. The standard
library's logging does the work; the formatter is a few lines, not a dependency.

Whatever the format, the output passes through ``redact``: token- and secret-shaped strings, and
the exact credentials this process was configured with, are replaced by ``[redacted]`` before they
are written, so a careless log line cannot leak them.
"""

from __future__ import annotations

import datetime
import json
import logging
import re
import sys
from collections.abc import Iterable
from typing import Any, TextIO

FORMATS = ("text", "json")
LEVELS = ("debug", "info", "warning", "error")

# the attributes every LogRecord has: anything else on a record came in as ``extra``
_STANDARD = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}

# shapes of credentials hookline hands out or is handed: endpoint secrets, API and secret keys,
# session tokens and other JWTs, password hashes, private keys
_SHAPES = re.compile(
    r"whsec_[A-Za-z0-9+/=]{8,}"
    r"|\b(?:hl|sk_live|sk_test|pk_live|pk_test)_[A-Za-z0-9_\-]{12,}"
    r"|\beyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]*"
    r"|\$argon2(?:id|i|d)\$[^'\"\s,)]*"
    r"|-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----",
    re.S,
)
REDACTED = "[redacted]"


class Redactor:
    """Replaces credential-shaped strings and the configured credentials in text."""

    def __init__(self, known: Iterable[str | None] = ()) -> None:
        # short values would redact ordinary words; configured credentials are long
        words = sorted({k for k in known if k and len(k) >= 8}, key=len, reverse=True)
        self._known = re.compile("|".join(re.escape(w) for w in words)) if words else None

    def __call__(self, text: str) -> str:
        """``text`` with every credential in it replaced by ``[redacted]``."""
        text = _SHAPES.sub(REDACTED, text)
        if self._known is not None:
            text = self._known.sub(REDACTED, text)
        return text


def _extras(record: logging.LogRecord) -> dict[str, Any]:
    return {k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")}


def _iso(created: float) -> str:
    moment = datetime.datetime.fromtimestamp(created, datetime.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time (UTC, ISO 8601), level, logger, message, then the extras."""

    def __init__(self, redact: Redactor | None = None) -> None:
        super().__init__()
        self.redact = redact or Redactor()

    def format(self, record: logging.LogRecord) -> str:
        """The record as one line of JSON."""
        data: dict[str, Any] = {
            "time": _iso(record.created),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": self.redact(record.getMessage()),
        }
        for key, value in _extras(record).items():
            if isinstance(value, str):
                value = self.redact(value)
            elif not isinstance(value, int | float | bool | None):
                value = self.redact(str(value))
            data.setdefault(key, value)
        if record.exc_info:
            data["exception"] = self.redact(self.formatException(record.exc_info))
        if record.stack_info:
            data["stack"] = self.redact(self.formatStack(record.stack_info))
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


class TextFormatter(logging.Formatter):
    """``2026-12-07T10:00:00.123Z INFO hookline.worker: message key=value ...``."""

    def __init__(self, redact: Redactor | None = None) -> None:
        super().__init__()
        self.redact = redact or Redactor()

    def format(self, record: logging.LogRecord) -> str:
        """The record as a line of text (and its traceback, if any, below it)."""
        line = f"{_iso(record.created)} {record.levelname} {record.name}: {record.getMessage()}"
        extras = _extras(record)
        if extras:
            line += " " + " ".join(f"{k}={v}" for k, v in extras.items())
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        if record.stack_info:
            line += "\n" + self.formatStack(record.stack_info)
        return self.redact(line)


def parse_format(text: str | None) -> str:
    """``HOOKLINE_LOG_FORMAT``: ``text`` (the default) or ``json``; ValueError otherwise."""
    value = (text or "text").strip().lower()
    if value not in FORMATS:
        raise ValueError(f"HOOKLINE_LOG_FORMAT: {text!r} is neither text nor json")
    return value


def parse_level(text: str | None) -> str:
    """``HOOKLINE_LOG_LEVEL``: ``debug``, ``info`` (the default), ``warning`` or ``error``; ValueError otherwise."""
    value = (text or "info").strip().lower()
    if value not in LEVELS:
        raise ValueError(f"HOOKLINE_LOG_LEVEL: {text!r} is not one of {', '.join(LEVELS)}")
    return value


_HANDLER_NAME = "hookline"


def configure(
    fmt: str = "text",
    level: str = "info",
    *,
    secrets: Iterable[str | None] = (),
    stream: TextIO | None = None,
) -> logging.Handler:
    """Send every logger's records at ``level`` and above to ``stream`` (stderr) in ``fmt``.

    ``secrets`` are this process's own credentials (API token, keys): they are redacted wherever
    they would appear. Calling it again replaces the handler it installed before.
    """
    redact = Redactor(secrets)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(JsonFormatter(redact) if fmt == "json" else TextFormatter(redact))
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == _HANDLER_NAME]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    # libraries that talk a lot at INFO stay at WARNING unless everything is wanted
    if level != "debug":
        for name in ("asyncio", "aiosqlite", "asyncpg", "httpx", "httpcore"):
            logging.getLogger(name).setLevel(logging.WARNING)
    return handler
