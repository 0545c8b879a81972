"""Keep password hashes and the private signing key out of logs, even with database drivers at DEBUG.

A driver that logs statements with their parameters at DEBUG (aiosqlite did, asyncpg may) would
write down the argon2 hash of a password being stored and the PEM of a signing key being saved.
"""

from __future__ import annotations

import logging
import re

_SECRETS = re.compile(
    r"\$argon2(?:id|i|d)\$[^'\"\s,)]*|-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----",
    re.S,
)
DRIVER_LOGGERS = ("aiosqlite", "asyncpg")


class RedactSecrets(logging.Filter):
    """Rewrite a record's message with password hashes and private keys replaced by ``[redacted]``."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a record that cannot format stays as it is
            return True
        if _SECRETS.search(message):
            record.msg = _SECRETS.sub("[redacted]", message)
            record.args = None
        return True


_filter = RedactSecrets()


def install() -> None:
    """Add the filter to the database drivers' loggers (once)."""
    for name in DRIVER_LOGGERS:
        logger = logging.getLogger(name)
        if _filter not in logger.filters:
            logger.addFilter(_filter)
