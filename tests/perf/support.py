"""Benchmark plumbing: services as real processes, an asyncio httpx load client, and results
appended to `tests/perf/results/*.jsonl` with the date, commit and servers used."""

import asyncio
import gc
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
from studio_devtools.servers import free_port

from tests.perf import machine
from tests.support.apps import INTERNAL_SECRET

RESULTS_DIR = Path(__file__).parent / "results"
# Set by the perf conftest before each benchmark: the machine's speed when it started.
REFERENCE_AT_START: float | None = None


@dataclass(frozen=True)
class LoadStats:
    requests: int
    concurrency: int
    seconds: float
    per_second: float
    p50_ms: float
    p99_ms: float
    errors: int


@contextmanager
def service_process(
    module: str,
    *args: str,
    env: dict[str, str] | None = None,
    ready_path: str = "/readyz",
    pids: dict[str, int] | None = None,
) -> Iterator[str]:
    """Start `python -m module args` on a free port, logging as in production (JSON lines at
    info, to a file); yield its base URL once `ready_path` answers 200. With `pids`, its process
    id is recorded there under its base URL (for CPU accounting)."""
    port = free_port()
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("STUDIO_")}
    full_env.update(
        {
            "STUDIO_PORT": str(port),
            "STUDIO_INTERNAL_SECRET": INTERNAL_SECRET,
            "STUDIO_LOG_JSON": "1",
        }
    )
    full_env.update(env or {})
    RESULTS_DIR.mkdir(exist_ok=True)
    log = (RESULTS_DIR / f"{module}.log.tmp").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", module, *args], env=full_env, stdout=log, stderr=log
    )
    url = f"http://127.0.0.1:{port}"
    if pids is not None:
        pids[url] = process.pid
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{module} exited with {process.returncode}")
            try:
                if httpx.get(url + ready_path, timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{module} not ready in 30s")
            time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        try:
            # A loaded worker finishes the jobs it holds first: give it what an orchestrator
            # would (30 s), then kill it rather than fail the figures already taken.
            process.wait(30)
        except subprocess.TimeoutExpired:
            print(f"{module} did not stop within 30 s of SIGTERM; killed", flush=True)
            process.kill()
            process.wait(5)
        log.close()


async def run_load(
    send: Callable[[httpx.AsyncClient, int], Awaitable[httpx.Response]],
    *,
    base_url: str,
    total: int,
    concurrency: int,
    headers: dict[str, str] | None = None,
    warmup: int = 200,
) -> LoadStats:
    """`total` requests from `concurrency` clients, each with its own keep-alive connection.

    One client per worker, as independent callers would be: a single httpx pool shared by 64
    workers serialises on its own bookkeeping and measures the client instead of the server.
    For the same reason the client's heap (pytest's, every test module's) is set aside from its
    garbage collector while it measures, as the services set theirs aside
    (`studio_runtime.serve.settle_heap`): a full collection of it stopped all the callers at
    once for 90-130 ms, which independent callers never do, and the figures charged it to the
    servers."""
    clients = [
        httpx.AsyncClient(base_url=base_url, headers=headers, timeout=30)
        for _ in range(concurrency)
    ]
    try:
        # Warm-up in rounds of every client at once: each client's connection is open, and
        # the servers' own pools have grown to this concurrency, before anything is timed.
        for first in range(0, max(warmup, concurrency), concurrency):
            await asyncio.gather(*(send(client, first + n) for n, client in enumerate(clients)))
        gc.collect()
        gc.freeze()
        latencies: list[float] = []
        errors = 0
        counter = iter(range(total))

        async def worker(client: httpx.AsyncClient) -> None:
            nonlocal errors
            for i in counter:
                started = time.perf_counter()
                response = await send(client, i)
                latencies.append(time.perf_counter() - started)
                if response.status_code >= 400:
                    errors += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for client in clients))
        elapsed = time.perf_counter() - started
    finally:
        gc.unfreeze()
        await asyncio.gather(*(client.aclose() for client in clients))
    quantiles = statistics.quantiles(latencies, n=100)
    return LoadStats(
        requests=total,
        concurrency=concurrency,
        seconds=round(elapsed, 3),
        per_second=round(total / elapsed, 1),
        p50_ms=round(quantiles[49] * 1000, 2),
        p99_ms=round(quantiles[98] * 1000, 2),
        errors=errors,
    )


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return ticks / os.sysconf("SC_CLK_TCK")


def record(benchmark: str, figures: dict[str, object], servers: dict[str, str]) -> None:
    """Print the figures and append them, with date, commit, servers and the machine's speed
    (the reference work's CPU ms at the benchmark's start and now; lower is faster), to the
    results file."""
    line = {
        "benchmark": benchmark,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": _commit(),
        "servers": servers,
        "machine_reference_ms": {"start": REFERENCE_AT_START, "end": machine.reference_ms()},
        "figures": {k: asdict(v) if isinstance(v, LoadStats) else v for k, v in figures.items()},
    }
    RESULTS_DIR.mkdir(exist_ok=True)
    with (RESULTS_DIR / f"{benchmark}.jsonl").open("a") as results:
        results.write(json.dumps(line) + "\n")
    print(f"\n{benchmark}: {json.dumps(line['figures'], indent=2)}")
    print(f"machine reference ms (start, end): {line['machine_reference_ms']}")


def _commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
