"""Optional OpenTelemetry traces: spans for accepting, claiming, sending and recording a message.

Off unless the standard ``OTEL_*`` variables ask for traces (``OTEL_TRACES_EXPORTER`` other than
``none``, or an ``OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT``) and the ``otel`` extra is installed. When
off, ``TRACER`` is None and every caller checks that one attribute before doing anything, so traces
cost nothing unless they are on.

The W3C ``traceparent`` of the API request is the parent of the accept span; the accept span's own
``traceparent`` is stored with the message (``message_traces``) and is the parent of every send
span of its deliveries, in whichever process sends them. A claim span links to the messages it
claimed, a record span to the sends whose outcomes it wrote.
"""

from __future__ import annotations

import atexit
import contextlib
import os
from collections.abc import Iterator, Mapping
from typing import Any

from hookline.errors import HooklineError

TRACER: Any = None  # an opentelemetry Tracer once ``setup`` turned traces on
MAX_LINKS = 128  # links per claim or record span (a batch may hold a thousand)


class TracingConfigError(HooklineError):
    """The OTEL_* variables ask for traces that cannot be made as they say."""

    code = "invalid_config"


def requested(env: Mapping[str, str]) -> bool:
    """Whether the ``OTEL_*`` variables in ``env`` ask for traces."""
    if env.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    exporter = env.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    if exporter:
        return exporter != "none"
    return bool(env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or env.get("OTEL_EXPORTER_OTLP_ENDPOINT"))


def _exporter(env: Mapping[str, str]) -> Any:
    name = env.get("OTEL_TRACES_EXPORTER", "").strip().lower() or "otlp"
    if name == "console":
        from opentelemetry.sdk.trace.export import ConsoleSpanExporter

        return ConsoleSpanExporter()
    if name != "otlp":
        raise TracingConfigError(f"OTEL_TRACES_EXPORTER: {name!r} is not served (otlp, console or none)")
    protocol = (
        env.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
        or env.get("OTEL_EXPORTER_OTLP_PROTOCOL")
        or "http/protobuf"
    )
    if protocol.strip().lower() != "http/protobuf":
        raise TracingConfigError(
            f"OTEL_EXPORTER_OTLP_PROTOCOL: {protocol!r} is not served: hookline exports over http/protobuf"
        )
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    return OTLPSpanExporter()  # endpoint, headers, timeout: from the OTEL_EXPORTER_OTLP_* variables


def setup(env: Mapping[str, str] | None = None, *, exporter: Any = None) -> bool:
    """Turn traces on if ``env`` (the environment) asks for them, or with ``exporter`` (tests pass the
    SDK's in-memory exporter); return whether they are on."""
    global TRACER
    env = os.environ if env is None else env
    if exporter is None and not requested(env):
        return False
    try:
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor
    except ImportError:
        raise TracingConfigError(
            "the OTEL_* variables ask for traces, but the otel extra is not installed: "
            "pip install 'hookline[otel]' (or unset them)"
        ) from None
    from hookline import __version__

    # Resource.create reads OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES; the name is hookline's only
    # when they give none (attributes passed here would win over theirs)
    attributes = {"service.version": __version__}
    named = env.get("OTEL_SERVICE_NAME") or "service.name=" in env.get("OTEL_RESOURCE_ATTRIBUTES", "")
    if not named:
        attributes["service.name"] = "hookline"
    resource = Resource.create(attributes)
    provider = TracerProvider(resource=resource)  # the sampler comes from OTEL_TRACES_SAMPLER
    if exporter is not None:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    else:
        provider.add_span_processor(BatchSpanProcessor(_exporter(env)))
        atexit.register(provider.shutdown)  # the last spans are sent before the process ends
    TRACER = provider.get_tracer("hookline", __version__)
    return True


def turn_off() -> None:
    """Stop making spans (tests)."""
    global TRACER
    TRACER = None


def _headers(scope: Mapping[str, Any]) -> dict[str, str]:
    found = {}
    for name, value in scope.get("headers") or ():
        if name in (b"traceparent", b"tracestate"):
            found[name.decode()] = value.decode("latin-1")
    return found


@contextlib.contextmanager
def request_context(scope: Mapping[str, Any]) -> Iterator[None]:
    """Make the W3C trace context of an HTTP request (its ``traceparent``) current while it is served."""
    from opentelemetry import context
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

    carrier = _headers(scope)
    if not carrier:
        yield
        return
    token = context.attach(TraceContextTextMapPropagator().extract(carrier))
    try:
        yield
    finally:
        context.detach(token)


def traceparent_of(span: Any) -> str | None:
    """The W3C ``traceparent`` naming ``span`` (to be stored, and continued by another process)."""
    from opentelemetry import trace
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

    carrier: dict[str, str] = {}
    TraceContextTextMapPropagator().inject(carrier, trace.set_span_in_context(span))
    return carrier.get("traceparent")


def context_of(traceparent: str | None) -> Any:
    """The span context a stored ``traceparent`` names, or None."""
    if not traceparent:
        return None
    from opentelemetry import trace
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

    ctx = TraceContextTextMapPropagator().extract({"traceparent": traceparent})
    span_context = trace.get_current_span(ctx).get_span_context()
    return span_context if span_context.is_valid else None


def links(contexts: list[Any]) -> list[Any]:
    """Links to up to ``MAX_LINKS`` of ``contexts`` (span contexts; None is skipped)."""
    from opentelemetry.trace import Link

    return [Link(c) for c in contexts if c is not None][:MAX_LINKS]


def parent(span_context: Any) -> Any:
    """A context whose current span is the (remote) ``span_context``, to start a child span in."""
    from opentelemetry import trace

    if span_context is None:
        return None
    return trace.set_span_in_context(trace.NonRecordingSpan(span_context))
