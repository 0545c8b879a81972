"""Keep credentials carried in URLs out of the access log.

App-portal links carry their token in the query string (``/dashboard/portal/access?token=…``); an
access log at INFO would otherwise write it down for anyone who reads the logs. Portal pages carry a
page key in their path (``/dashboard/p/hlpage_…/``), kept out the same way.
"""

from __future__ import annotations

import logging
import re

_QUERY_SECRET = re.compile(r"(?i)([?&](?:token|key|secret|password)=)[^&\s\"]*")
_PAGE_KEY = re.compile(r"(/dashboard/p/)hlpage_[^/?\s\"]*")  # portal pages carry a page key in the path


def _redact(text: str) -> str:
    return _PAGE_KEY.sub(r"\1[redacted]", _QUERY_SECRET.sub(r"\1[redacted]", text))


class RedactQuerySecrets(logging.Filter):
    """Replace the value of ``token=``, ``key=``, ``secret=`` and ``password=`` query parameters."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_redact(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.msg, str):
            record.msg = _redact(record.msg)
        return True


_filter = RedactQuerySecrets()


def install() -> None:
    """Add the filter to uvicorn's access logger (once)."""
    logger = logging.getLogger("uvicorn.access")
    if _filter not in logger.filters:
        logger.addFilter(_filter)
