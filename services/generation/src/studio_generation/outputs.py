"""Writing a job's outputs to object storage under deterministic keys.

`{user}/{project}/{generation}/{index}.{ext}`: a re-run after a crash overwrites the same objects
instead of adding new ones."""

import asyncio
import hashlib
from collections.abc import AsyncIterator

import httpx
import structlog
from studio_contracts.events import OutputFile
from studio_contracts.generations import output_asset_id
from studio_runtime.client_pool import ClientPool
from studio_storage import ObjectStore

from studio_generation.providers.base import (
    PermanentProviderError,
    ProviderOutput,
    TransientProviderError,
)
from studio_generation.records import GenerationRecord

log = structlog.get_logger(__name__)

MISSING = (404, 410)
"""What a file URL answers for a file that is not there. fal's CDN does not grow one back later,
so asking again minutes later (a job's retry) only keeps the person waiting for a failure."""
MISSING_REPEAT_S = 1.0
"""The wait before the one quick repeat of a missing file (in case the CDN was a moment behind
the model): the person hears the file is gone within about 2 s."""


class OutputWriter:
    def __init__(self, store: ObjectStore, http: ClientPool, *, max_bytes: int) -> None:
        self._store = store
        self._http = http
        self._max_bytes = max_bytes

    async def write(
        self, record: GenerationRecord, outputs: list[ProviderOutput]
    ) -> list[OutputFile]:
        files = []
        for index, output in enumerate(outputs):
            key = f"{record.owner}/{record.project_id}/{record.id}/{index}.{output.extension}"
            size, digest = await self._put(key, output, _source(record))
            files.append(
                OutputFile(
                    index=index,
                    asset_id=output_asset_id(record.id, index),
                    object_key=key,
                    media_type=output.media_type,
                    content_type=output.content_type,
                    size=size,
                    sha256=digest,
                    width=output.width,
                    height=output.height,
                    duration=output.duration,
                    safety_flagged=output.safety_flagged,
                )
            )
        return files

    async def remove(self, keys: list[str]) -> None:
        for key in keys:
            await self._store.delete(key)

    async def _put(self, key: str, output: ProviderOutput, source: str) -> tuple[int, str]:
        """Store one output, from its bytes or its URL at `source` (named in the error: the
        provider ran the job, and it is the file that could not be had)."""
        if output.data is not None:
            await self._store.put_bytes(key, output.data, content_type=output.content_type)
            return len(output.data), hashlib.sha256(output.data).hexdigest()
        if output.url is None:
            raise ValueError("a provider output has neither bytes nor a URL")
        try:
            return await self._download(key, output, output.url, source)
        except _Missing:
            await asyncio.sleep(MISSING_REPEAT_S)
        try:
            return await self._download(key, output, output.url, source)
        except _Missing as missing:
            log.warning("output.file_not_found", status=missing.status, key=key)
            raise PermanentProviderError(
                f"The model ran, but {source}'s result file was not found "
                f"(HTTP {missing.status}); try the generation again.",
                code="provider_output_missing",
            ) from missing

    async def _download(
        self, key: str, output: ProviderOutput, url: str, source: str
    ) -> tuple[int, str]:
        """Copy the file at `url` into `key`: its size and digest. `_Missing` when the URL says
        the file is not there (404, 410); any other failure is worth a later try (the job's)."""
        digest = hashlib.sha256()
        counted = [0]
        try:
            async with self._http.pick().stream("GET", url) as response:
                if response.status_code in MISSING:
                    raise _Missing(response.status_code)
                if response.status_code != 200:
                    raise TransientProviderError(
                        f"The result file could not be fetched from {source} "
                        f"(HTTP {response.status_code})."
                    )
                await self._store.put(
                    key,
                    self._hashed(response.aiter_raw(), digest, counted),
                    content_type=output.content_type,
                )
        except httpx.HTTPError as exc:
            raise TransientProviderError(
                f"The result file could not be fetched from {source} ({type(exc).__name__})."
            ) from exc
        return counted[0], digest.hexdigest()

    async def _hashed(
        self, chunks: AsyncIterator[bytes], digest: "hashlib._Hash", counted: list[int]
    ) -> AsyncIterator[bytes]:
        async for chunk in chunks:
            counted[0] += len(chunk)
            if counted[0] > self._max_bytes:
                raise ValueError(f"a provider output is larger than {self._max_bytes} bytes")
            digest.update(chunk)
            yield chunk


class _Missing(Exception):
    """A file URL answered that its file is not there."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


def _source(record: GenerationRecord) -> str:
    """Where a job's output URLs point, as a card names it."""
    return "fal.ai" if record.runtime == "fal" else "the provider"
