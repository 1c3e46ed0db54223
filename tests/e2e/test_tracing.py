"""Tracing on: one generation is one trace, from the gateway's request through the generation
API, the `generation.requested` message, the worker's provider call and its call to the assets
service (spans collected in memory, every service on real sockets and servers)."""

import json
from pathlib import Path
from typing import Any

import nats
from nats.aio.msg import Msg
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, format_trace_id
from studio_contracts import subjects
from studio_runtime import tracing

from tests.support.full_stack import Servers, full_stack
from tests.support.waiting import eventually


def _service(span: ReadableSpan) -> object:
    return (span.attributes or {}).get("studio.service")


async def test_one_generation_is_one_trace_across_every_service(
    servers: Servers, tmp_path: Path
) -> None:
    exporter = InMemorySpanExporter()
    tracing.configure_tracing("tests", exporter=exporter)
    events: list[dict[str, Any]] = []

    async def collect(message: Msg) -> None:
        events.append(json.loads(message.data))

    nc = await nats.connect(servers.nats_url)
    for name in (subjects.GENERATION_REQUESTED, subjects.GENERATION_COMPLETED):
        await nc.subscribe(subjects.subject(name, servers.nats_prefix), cb=collect)
    try:
        async with (
            full_stack(servers, storage_url=(tmp_path / "s").as_uri()) as stack,
            stack.client() as client,
        ):
            project = (await client.post("/api/v1/projects", json={"name": "traced"})).json()
            accepted = await client.post(
                f"/api/v1/projects/{project['id']}/generations",
                json={"type": "text-to-image", "model_id": "local/image", "prompt": "a trace"},
            )
            assert accepted.status_code == 202, accepted.text
            generation = accepted.json()["id"]

            async def completed() -> bool:
                record = (await client.get(f"/api/v1/generations/{generation}")).json()
                return bool(record["status"] == "completed")

            await eventually(completed, what="the generation completed")
            await eventually(lambda: len(events) == 2, what="both events seen")
    finally:
        await nc.close()
        tracing.shutdown()  # flushes the batch of spans into the exporter
    spans = exporter.get_finished_spans()

    posts = [
        s
        for s in spans
        if s.kind is SpanKind.SERVER
        and _service(s) == "gateway"
        and s.name.startswith("POST")
        and "generations" in s.name
    ]
    assert len(posts) == 1, [s.name for s in spans]
    trace_id = posts[0].context.trace_id
    in_trace = [s for s in spans if s.context.trace_id == trace_id]

    servers_in_trace = {_service(s) for s in in_trace if s.kind is SpanKind.SERVER}
    assert {"gateway", "generation-api", "assets"} <= servers_in_trace, servers_in_trace
    consumed = {s.name for s in in_trace if s.kind is SpanKind.CONSUMER}
    assert any(name.endswith("generation.requested process") for name in consumed), consumed
    provider = [s for s in in_trace if s.name == "provider.run"]
    assert len(provider) == 1
    assert (provider[0].attributes or {})["studio.model"] == "local/image"
    # The worker's call to the assets service (outputs registered) is a child of its job.
    assert any(
        s.kind is SpanKind.CLIENT and "outputs" in str((s.attributes or {}).get("url.full", ""))
        for s in in_trace
    ) or any(_service(s) == "assets" and "outputs" in s.name for s in in_trace)
    # The events say which trace they belong to, for consumers that read only the payload.
    assert {e["trace_id"] for e in events} == {format_trace_id(trace_id)}
    # Tracing off again: nothing more is recorded.
    assert not tracing.enabled()
