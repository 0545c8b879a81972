"""Keep credentials carried in URLs out of the access log.

App-portal links carry their token in the query string (``/dashboard/portal/access?token=…``); an
access log at INFO would otherwise write it down for anyone who reads the logs.
"""

from __future__ import annotations

import logging
import re

_QUERY_SECRET = re.compile(r"(?i)([?&](?:token|key|secret|password)=)[^&\s\"]*")


class RedactQuerySecrets(logging.Filter):
    """Replace the value of ``token=``, ``key=``, ``secret=`` and ``password=`` query parameters."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                _QUERY_SECRET.sub(r"\1[redacted]", a) if isinstance(a, str) else a for a in record.args
            )
        elif isinstance(record.msg, str):
            record.msg = _QUERY_SECRET.sub(r"\1[redacted]", record.msg)
        return True


_filter = RedactQuerySecrets()


def install() -> None:
    """Add the filter to uvicorn's access logger (once)."""
    logger = logging.getLogger("uvicorn.access")
    if _filter not in logger.filters:
        logger.addFilter(_filter)
