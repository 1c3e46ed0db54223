"""What every benchmark shares beyond the suite's servers."""

import os

import pytest


@pytest.fixture(autouse=True)
def settled_disk() -> None:
    """Each benchmark starts with nothing left to write back: the one before may have left
    hundreds of megabytes of dirty pages (the history benchmarks store 100,000 records), which
    the kernel would write during this one and slow every fsync in it (P2 measured 2-3 ms
    slower right after the accept-history benchmark than alone)."""
    os.sync()
