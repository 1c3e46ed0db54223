"""OpenTelemetry tracing: off by default, on with the standard `OTEL_*` variables.

One trace follows a generation across processes: the gateway's request span, the proxied call to
the generation API (W3C `traceparent` on internal HTTP calls), the `generation.requested` message
(the same header on the NATS message), the worker's run and its provider call, the worker's
call to the assets service, and the `generation.completed` message.

Turned on when `OTEL_TRACES_EXPORTER` names an exporter other than `none`, or an OTLP endpoint
is set (`OTEL_EXPORTER_OTLP_ENDPOINT` / `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`); `OTEL_SDK_DISABLED
=true` wins over both. The exporter is OTLP over HTTP and reads the rest of its configuration
(headers, sampling via `OTEL_TRACES_SAMPLER`, ...) from the same variables. When tracing is off
nothing is instrumented, so it costs nothing per request.
"""

import os
from collections.abc import Iterator, Mapping, MutableMapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any

import httpx
from fastapi import FastAPI
from opentelemetry import context, propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter

_state: dict[str, TracerProvider | None] = {"provider": None}
"""The process's provider, kept here rather than as OpenTelemetry's global (which can be set
once per process): tests switch tracing on for one stack and off again."""


def wanted(environ: Mapping[str, str] = os.environ) -> bool:
    """Whether the `OTEL_*` variables ask for traces."""
    if environ.get("OTEL_SDK_DISABLED", "").lower() == "true":
        return False
    exporter = environ.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    if exporter:
        return exporter != "none"
    return bool(
        environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
        or environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    )


def enabled() -> bool:
    return _state["provider"] is not None


def configure_tracing(service: str, *, exporter: SpanExporter | None = None) -> None:
    """Install the process's tracer provider once, when tracing is wanted (or an `exporter` is
    given: tests pass an in-memory one). Later calls in the same process (tests build many
    services in one) keep the first provider."""
    if _state["provider"] is not None or (exporter is None and not wanted()):
        return
    if exporter is None:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        exporter = OTLPSpanExporter()
    name = os.environ.get("OTEL_SERVICE_NAME", f"studio-{service}")
    provider = TracerProvider(resource=Resource.create({"service.name": name}))
    provider.add_span_processor(BatchSpanProcessor(exporter))
    _state["provider"] = provider


def shutdown() -> None:
    """Export what is buffered and stop tracing (apps built afterwards are not instrumented)."""
    provider, _state["provider"] = _state["provider"], None
    if provider is not None:
        provider.shutdown()


def instrument_app(app: FastAPI, service: str) -> None:
    """A server span per request, continuing the caller's trace (`traceparent`)."""
    provider = _state["provider"]
    if provider is None:
        return
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    FastAPIInstrumentor.instrument_app(
        app,
        tracer_provider=provider,
        excluded_urls="healthz,readyz,metrics",
        server_request_hook=_tag(service),
        exclude_spans=["receive", "send"],  # one span per request, not one per body chunk
    )


def instrument_client(client: httpx.AsyncClient) -> httpx.AsyncClient:
    """A client span per call, and the trace context sent along with it."""
    provider = _state["provider"]
    if provider is not None:
        from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

        HTTPXClientInstrumentor.instrument_client(client, tracer_provider=provider)
    return client


def current_trace_id() -> str | None:
    """The current trace's id (32 hex digits), or None with tracing off or outside a trace."""
    if _state["provider"] is None:
        return None
    context_of_span = trace.get_current_span().get_span_context()
    return trace.format_trace_id(context_of_span.trace_id) if context_of_span.is_valid else None


def inject(headers: MutableMapping[str, str]) -> MutableMapping[str, str]:
    """Add the current trace context to a message's headers (no-op when tracing is off)."""
    if _state["provider"] is not None:
        propagate.inject(headers)
    return headers


_OFF: AbstractContextManager[None] = nullcontext()


def span(
    name: str,
    *,
    headers: Mapping[str, str] | None = None,
    kind: trace.SpanKind = trace.SpanKind.INTERNAL,
    **attributes: str | int | None,
) -> AbstractContextManager[None]:
    """A span named `name` (attributes prefixed `studio.`); with `headers` (a received
    message's), a child of the trace they carry rather than of whatever is current. With
    tracing off, one shared do-nothing context: every consumed message passes here."""
    provider = _state["provider"]
    if provider is None:
        return _OFF
    return _span(provider, name, headers, kind, attributes)


@contextmanager
def _span(
    provider: TracerProvider,
    name: str,
    headers: Mapping[str, str] | None,
    kind: trace.SpanKind,
    attributes: dict[str, str | int | None],
) -> Iterator[None]:
    parent = propagate.extract(dict(headers)) if headers is not None else None
    token = context.attach(parent) if parent is not None else None
    try:
        attrs = {f"studio.{k}": v for k, v in attributes.items() if v is not None}
        tracer = provider.get_tracer("studio")
        with tracer.start_as_current_span(name, kind=kind, attributes=attrs):
            yield
    finally:
        if token is not None:
            context.detach(token)


def _tag(service: str) -> Any:
    def hook(current: trace.Span, _scope: dict[str, Any]) -> None:
        if current.is_recording():
            current.set_attribute("studio.service", service)

    return hook
