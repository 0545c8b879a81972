"""Sending identity's emails (verification codes, password resets) besides their ``email.created`` events.

Clerk, when it does not send mail itself, hands every email to the application as an ``email.created``
event; hookline always does that, and when ``HOOKLINE_SMTP_URL`` is set it also sends the email:

- ``smtp://user:password@host:587?from=no-reply@example.org`` (STARTTLS when the server offers it;
  ``starttls=required`` refuses to send without it), ``smtps://…:465`` (TLS from the first byte);
- ``log:`` a development sender that logs who gets which subject (at INFO) and the body only at DEBUG,
  so codes never reach an INFO log, and keeps the last messages in memory.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit

from hookline.config import ConfigError

log = logging.getLogger("hookline.identity.mail")
DEFAULT_FROM = "no-reply@localhost"


@dataclass(frozen=True)
class Mail:
    """One email: a recipient, a subject, a plain-text body and an HTML one."""

    to: str
    subject: str
    text: str
    html: str


class Mailer(Protocol):
    """Something that delivers an email (or raises)."""

    async def send(self, mail: Mail) -> None:
        """Deliver one email."""
        ...


class NoMailer:
    """No mail is sent: the ``email.created`` event is the only delivery (Clerk's behaviour when the
    application sends its own emails)."""

    async def send(self, mail: Mail) -> None:
        """Do nothing."""


class LogMailer:
    """Development sender: logs each email (its body only at DEBUG) and keeps the last ``keep`` of them."""

    def __init__(self, keep: int = 100) -> None:
        self.sent: collections.deque[Mail] = collections.deque(maxlen=keep)

    async def send(self, mail: Mail) -> None:
        """Keep and log one email."""
        self.sent.append(mail)
        log.info("email to %s: %s", mail.to, mail.subject)
        log.debug("email to %s body:\n%s", mail.to, mail.text)


class SmtpMailer:
    """Sends through an SMTP server with aiosmtplib (``smtp://`` with STARTTLS, or ``smtps://``)."""

    def __init__(self, url: str, timeout: float = 15.0) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ConfigError(f"HOOKLINE_SMTP_URL: {url!r} is not smtp://host[:port] or smtps://host[:port]")
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        starttls = query.get("starttls", "auto").lower()
        if starttls not in ("auto", "required", "false"):
            raise ConfigError("HOOKLINE_SMTP_URL: starttls must be auto, required or false")
        try:
            port = parts.port
        except ValueError:
            raise ConfigError(f"HOOKLINE_SMTP_URL: {url!r} has a port that is not a number") from None
        self.implicit_tls = parts.scheme == "smtps"
        self.host = parts.hostname
        self.port = port or (465 if self.implicit_tls else 587)
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.sender = query.get("from") or DEFAULT_FROM
        self.starttls = starttls
        self.timeout = timeout

    def message(self, mail: Mail) -> EmailMessage:
        """The MIME message of a mail: plain text with an HTML alternative."""
        msg = EmailMessage()
        msg["From"] = self.sender
        msg["To"] = mail.to
        msg["Subject"] = mail.subject
        msg.set_content(mail.text)
        msg.add_alternative(mail.html, subtype="html")
        return msg

    async def send(self, mail: Mail) -> None:
        """Send one email; raises aiosmtplib's errors."""
        import aiosmtplib

        await aiosmtplib.send(
            self.message(mail), hostname=self.host, port=self.port, username=self.username,
            password=self.password, use_tls=self.implicit_tls, timeout=self.timeout,
            start_tls=None if self.starttls == "auto" or self.implicit_tls else self.starttls == "required",
        )  # fmt: skip


def mailer_from_env(env: Mapping[str, str] | None = None) -> Mailer:
    """The sender ``HOOKLINE_SMTP_URL`` names (none when unset)."""
    url = (os.environ if env is None else env).get("HOOKLINE_SMTP_URL", "").strip()
    if not url:
        return NoMailer()
    if url in ("log:", "log://"):
        return LogMailer()
    return SmtpMailer(url)


class Postman:
    """Sends mail in the background after the change that wrote its event has committed.

    A slow or failing SMTP server never delays or fails the request: the event is already
    committed, and a failure is logged (without the message body, which may hold a code).
    """

    def __init__(self, mailer: Mailer) -> None:
        self.mailer = mailer
        self._tasks: set[asyncio.Task[None]] = set()

    def post(self, mail: Mail) -> None:
        """Start sending one email."""
        if isinstance(self.mailer, NoMailer):
            return
        task = asyncio.get_running_loop().create_task(self._send(mail))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _send(self, mail: Mail) -> None:
        try:
            await self.mailer.send(mail)
        except Exception as exc:  # any failure of the mail server: logged, never raised into a request
            log.warning("sending email to %s failed: %s", mail.to, type(exc).__name__)

    async def drain(self) -> None:
        """Wait for the emails being sent (at shutdown)."""
        if self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
