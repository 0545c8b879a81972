"""Sending one signed webhook: pooled keep-alive connections with the private-network guard."""

from __future__ import annotations

import binascii
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from hookline import __version__
from hookline.bounded import BoundedDict
from hookline.config import DeliverySettings
from hookline.delivery.guard import TargetGuard, UnsafeTargetError, literal_ip, resolver_lookup
from hookline.delivery.http import CachingResolver, HttpClient, HttpError, ProtocolError
from hookline.signing import Webhook, sign_v1
from hookline.signing._secrets import SECRET_PREFIX, parse_secret

USER_AGENT = f"hookline/{__version__}"
CACHE_ENTRIES = 10_000  # parsed secrets, and refusals of literal-IP URLs, kept per process


@dataclass(frozen=True)
class SendResult:
    """What one HTTP try produced. ``status_code`` is 0 when no response arrived."""

    status_code: int
    body: str
    duration_ms: int
    request_headers: dict[str, str]
    retry_after: float | None = None
    delivery_directive: str | None = None  # the receiver's webhook-delivery header
    # no answer came: a timeout, or a connection refused or broken (what the circuit breaker counts)
    unreachable: bool = False
    response_headers: dict[str, str] | None = None  # as kept for the attempt page (see kept_headers)

    @property
    def ok(self) -> bool:
        """True for a 2xx answer."""
        return 200 <= self.status_code < 300


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds only; dates are ignored)."""
    if not value:
        return None
    try:
        return max(0.0, float(value.strip()))
    except ValueError:
        return None


class Signer:
    """Signs with every active secret of an endpoint; parsed keys are cached by secret string."""

    def __init__(self) -> None:
        self._keys: BoundedDict[str, bytes | Webhook] = BoundedDict(CACHE_ENTRIES)

    def signature(self, secrets: tuple[str, ...], msg_id: str, timestamp: int, body: bytes) -> str:
        """The ``webhook-signature`` value: one ``v1,``/``v1a,`` entry per secret, space-separated."""
        out = []
        for secret in secrets:
            key = self._keys.get(secret)
            if key is None:
                key = self._keys.put(
                    secret, parse_secret(secret) if secret.startswith(SECRET_PREFIX) else Webhook(secret)
                )
            out.append(
                sign_v1(key, msg_id, timestamp, body)
                if isinstance(key, bytes)
                else key.sign(msg_id, timestamp, body)
            )
        return " ".join(out)


class Sender:
    """POSTs webhooks. Use ``async with Sender(settings) as s`` so the client is opened and closed."""

    def __init__(self, settings: DeliverySettings) -> None:
        self.settings = settings
        self.guard = TargetGuard(settings.allowed_targets)
        self.signer = Signer()
        self._client: HttpClient | None = None
        self._refusals: BoundedDict[str, str | None] = BoundedDict(CACHE_ENTRIES)

    async def __aenter__(self) -> Sender:
        await self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def open(self) -> None:
        """Open the shared client (its connection pools)."""
        from hookline.delivery import guard

        # names are resolved at connect time and every answer passes the guard: no rebinding window
        lookup = resolver_lookup(guard.ThreadedResolver())
        self._client = HttpClient(
            CachingResolver(self.guard.allowed_addresses, lookup),
            body_limit=self.settings.response_body_limit,
            max_idle_per_host=self.settings.max_in_flight,
        )

    def _refusal(self, url: str) -> str | None:
        """Why a URL naming a literal IP may not be reached (None when it may, or names a host); cached."""
        ip = literal_ip(urlsplit(url).hostname or "")
        return self._refusals.put(url, self.guard.refusal(ip) if ip is not None else None)

    async def close(self) -> None:
        """Close every pooled connection."""
        if self._client is not None:
            await self._client.close()
            self._client = None

    def build_headers(
        self,
        msg_id: str,
        secrets: tuple[str, ...],
        body: bytes,
        extra: dict[str, str],
        timestamp: int,
        content_type: str | None = None,
    ) -> dict[str, str]:
        """Every header of one delivery: custom ones first, then ours (which custom ones cannot override).
        ``content_type`` is a raw payload's own; JSON payloads go as ``application/json``."""
        signature = self.signer.signature(secrets, msg_id, timestamp, body)
        headers = dict(extra)
        ts = str(timestamp)
        headers.update(
            {
                "content-type": content_type or "application/json",
                "user-agent": USER_AGENT,
                "webhook-id": msg_id,
                "webhook-timestamp": ts,
                "webhook-signature": signature,
                "svix-id": msg_id,
                "svix-timestamp": ts,
                "svix-signature": signature,
            }
        )
        return headers

    async def send(
        self,
        url: str,
        msg_id: str,
        secrets: tuple[str, ...],
        payload: str,
        extra_headers: dict[str, str],
        content_type: str | None = None,
    ) -> SendResult:
        """Sign and POST one message; never raises for network trouble (it is a failed try)."""
        assert self._client is not None, "Sender is not open"
        body = payload.encode()
        headers = self.build_headers(msg_id, secrets, body, extra_headers, int(time.time()), content_type)
        shown = {k: v for k, v in headers.items() if not k.endswith("-signature")}
        start = time.perf_counter()
        try:
            reason = self._refusals[url] if url in self._refusals else self._refusal(url)
            if reason:
                raise UnsafeTargetError(reason)
            resp = await self._client.post(url, body, headers, self.settings.request_timeout)
            return SendResult(
                resp.status,
                resp.body.decode("utf-8", "replace"),
                _ms(start),
                shown,
                parse_retry_after(resp.headers.get("retry-after")),
                (resp.headers.get("webhook-delivery") or "").strip().lower() or None,
                response_headers=kept_headers(resp.headers),
            )
        except UnsafeTargetError as exc:
            return SendResult(0, f"refused: {exc}", _ms(start), shown)
        except TimeoutError:
            return SendResult(
                0, f"timed out after {self.settings.request_timeout:g} s", _ms(start), shown, unreachable=True
            )
        except ProtocolError as exc:
            return SendResult(0, f"connection failed: {str(exc)[:500]}", _ms(start), shown)
        except HttpError as exc:
            return SendResult(0, f"connection failed: {str(exc)[:500]}", _ms(start), shown, unreachable=True)
        except (OSError, ValueError, binascii.Error) as exc:
            return SendResult(0, f"request failed: {exc}", _ms(start), shown)


MAX_KEPT_HEADERS = 50
MAX_KEPT_VALUE = 1024
NOT_KEPT = frozenset({"set-cookie"})  # a receiver's session cookie is no part of a delivery's record


def kept_headers(headers: dict[str, str]) -> dict[str, str]:
    """The response headers an attempt keeps: at most 50, each value cut at 1 KiB, cookies left out."""
    kept: dict[str, str] = {}
    for name, value in headers.items():
        if name in NOT_KEPT:
            continue
        if len(kept) >= MAX_KEPT_HEADERS:
            break
        kept[name] = value[:MAX_KEPT_VALUE]
    return kept


def _ms(start: float) -> int:
    return int((time.perf_counter() - start) * 1000)
