"""What the generation pipeline counts, beside the HTTP metrics every service has.

The labels are bounded: types and runtimes are enums, model ids come from the catalog (about
sixty), statuses are the four final ones.
"""

import time
from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import Counter, Gauge, Histogram
from studio_runtime.clock import now_ms

from studio_generation.records import GenerationRecord

_SECONDS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800)

GENERATIONS = Counter(
    "studio_generations_total",
    "Generations that reached a final status",
    ["type", "model", "runtime", "status"],
)
QUEUE_WAIT = Histogram(
    "studio_generation_queue_wait_seconds",
    "From accepted to claimed by a worker (first claim only)",
    ["type", "runtime"],
    buckets=_SECONDS,
)
RUN_TIME = Histogram(
    "studio_generation_run_seconds",
    "From claimed to final, as the worker saw it",
    ["type", "runtime", "status"],
    buckets=_SECONDS,
)
PROVIDER_CALLS = Histogram(
    "studio_provider_call_seconds",
    "One provider run (submit, wait, fetch outputs), by how it ended",
    ["provider", "outcome"],
    buckets=_SECONDS,
)
PROVIDER_ERRORS = Counter(
    "studio_provider_errors_total",
    "Provider runs that raised, by provider and kind (permanent, transient, crash)",
    ["provider", "kind"],
)
IN_FLIGHT = Gauge("studio_worker_jobs_in_flight", "Jobs this worker is running now")


def finished(record: GenerationRecord, status: str) -> None:
    """Count a generation that reached `status`; its run time if a worker ran it."""
    GENERATIONS.labels(record.type.value, record.model_id, record.runtime, status).inc()
    if record.started_ms is not None:
        RUN_TIME.labels(record.type.value, record.runtime, status).observe(
            max(now_ms() - record.started_ms, 0) / 1000
        )


def claimed(record: GenerationRecord) -> None:
    if record.attempts == 1 and record.started_ms is not None:
        QUEUE_WAIT.labels(record.type.value, record.runtime).observe(
            max(record.started_ms - record.created_ms, 0) / 1000
        )


@contextmanager
def provider_call(provider: str) -> Iterator[None]:
    started = time.perf_counter()
    outcome = "ok"
    try:
        yield
    except BaseException:
        outcome = "error"
        raise
    finally:
        PROVIDER_CALLS.labels(provider, outcome).observe(time.perf_counter() - started)
