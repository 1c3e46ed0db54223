"""What the assets service counts, beside the HTTP metrics every service has."""

import time
from collections.abc import AsyncIterator

from prometheus_client import Counter, Histogram

_SECONDS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)

BYTES_STORED = Counter(
    "studio_asset_bytes_stored_total",
    "Bytes of new assets stored (uploads, generation outputs), thumbnails not counted",
    ["kind"],
)
UPLOAD_SECONDS = Histogram(
    "studio_asset_upload_seconds",
    "One upload: receiving, checking and storing the file, and recording it",
    ["outcome"],
    buckets=_SECONDS,
)
DOWNLOAD_FIRST_BYTE_SECONDS = Histogram(
    "studio_asset_download_first_byte_seconds",
    "From a download (or thumbnail) request to its first bytes read from storage",
    ["what"],
    buckets=_SECONDS,
)


async def first_byte_timed(
    chunks: AsyncIterator[bytes], what: str, started: float
) -> AsyncIterator[bytes]:
    """`chunks`, observing when the first one arrives (storage latency as a reader sees it)."""
    first = True
    async for chunk in chunks:
        if first:
            DOWNLOAD_FIRST_BYTE_SECONDS.labels(what).observe(time.perf_counter() - started)
            first = False
        yield chunk
