"""What every benchmark shares beyond the suite's servers."""

import os
from collections.abc import Iterator

import pytest

from tests.perf import machine, support


@pytest.fixture(autouse=True)
def settled_disk() -> None:
    """Each benchmark starts with nothing left to write back: the one before may have left
    hundreds of megabytes of dirty pages (the history benchmarks store 100,000 records), which
    the kernel would write during this one and slow every fsync in it (P2 measured 2-3 ms
    slower right after the accept-history benchmark than alone)."""
    os.sync()


@pytest.fixture(autouse=True)
def machine_speed() -> Iterator[None]:
    """The machine's reference time at the benchmark's start, for `support.record` to keep
    beside the figures with the one at its end (tests/perf/machine.py says why)."""
    support.REFERENCE_AT_START = machine.reference_ms()
    yield
    support.REFERENCE_AT_START = None
