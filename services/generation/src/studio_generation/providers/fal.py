"""The fal.ai provider: runs a generation on fal's queue API.

Flow (docs/fal-provider.md has the details and the error table): submit the model input with
file inputs inlined as data URIs (larger ones uploaded to fal's storage first), hand the worker an opaque request handle right away (so a
worker that dies can resume instead of paying for a second run), poll the status until
COMPLETED while reporting queue position and new log lines, then fetch the result and return
its media URLs for the worker to copy.

HTTP, retries and error mapping live in `fal_http`; handle, inputs and outputs in `fal_io`.
"""

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
import structlog

from studio_generation.providers.base import (
    InputFile,
    InputFiles,
    PermanentProviderError,
    ProviderError,
    ProviderEvents,
    ProviderJob,
    ProviderOutput,
    ProviderProgress,
    TransientProviderError,
)
from studio_generation.providers.fal_http import (
    CODE_AUTH,
    CODE_REQUEST_FAILED,
    Call,
    FalHttp,
    RetryNotice,
    RetryPolicy,
    describe,
    raise_for_fal,
)
from studio_generation.providers.fal_io import FalHandle, data_uri, map_outputs, request_body

__all__ = ["DEFAULT_BASE_URL", "FalHandle", "FalProvider"]

log = structlog.get_logger(__name__)

DEFAULT_BASE_URL = "https://queue.fal.run"
DEFAULT_STORAGE_URL = "https://rest.fal.ai"
STORAGE_TYPE = "fal-cdn-v3"
MIB = 1024 * 1024
_STILL = {"IN_QUEUE": "it was still in fal.ai's queue", "IN_PROGRESS": "it was still running"}
"""How a job that ran out of time was left, by fal's last status, for the card."""


@dataclass
class _Watch:
    """What the poll loop has already told the user, so each thing is told once."""

    queue_position: int | None = None
    status: str | None = None
    seen_logs: set[tuple[str, str, int]] = field(default_factory=set)


@dataclass
class _InlineBudget:
    """Bytes of input files that may still be sent inline (as data URIs) in one request."""

    left: int

    def take(self, size: int) -> bool:
        """Whether a file of `size` bytes goes inline; if so, it is counted."""
        if size > self.left:
            return False
        self.left -= size
        return True


class FalProvider:
    """`Provider` for models whose catalog runtime is `fal`.

    `client` is shared and owned by the caller; the provider sets no default headers on it,
    so the key goes only to the queue host (never to media URLs on other hosts).
    """

    name = "fal"

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        base_url: str = DEFAULT_BASE_URL,
        key: str,
        poll_interval_s: float = 0.5,
        max_poll_interval_s: float = 5.0,
        request_retries: int = 4,
        retry_backoff_s: float = 0.5,
        max_retry_backoff_s: float = 8.0,
        data_uri_max_bytes: int = 10 * MIB,
        max_wait_s: float | None = 3600.0,
        storage_url: str = DEFAULT_STORAGE_URL,
    ) -> None:
        self._key = key
        self._client = client
        self._storage_url = storage_url.rstrip("/")
        self._http = FalHttp(
            client,
            base_url=base_url,
            key=key,
            policy=RetryPolicy(request_retries, retry_backoff_s, max_retry_backoff_s),
            storage_url=self._storage_url,
        )
        self.base_url = self._http.base_url
        self._poll_interval_s = poll_interval_s
        self._max_poll_interval_s = max(poll_interval_s, max_poll_interval_s)
        self._data_uri_max_bytes = data_uri_max_bytes
        self._max_wait_s = max_wait_s

    # --- Provider -------------------------------------------------------------------------

    async def run(self, job: ProviderJob, events: ProviderEvents) -> list[ProviderOutput]:
        self._require_key()
        bound = log.bind(generation_id=job.generation_id, model_id=job.model_id)
        if job.resume_request_id:
            handle = self._handle_for(job.resume_request_id, job.model_id)
            bound.info("fal_resume", request_id=handle.request_id)
        else:
            handle = await self._submit(job, events)
            bound.info("fal_submitted", request_id=handle.request_id)
            await events.submitted(handle.encode())
        await self._wait(handle, job, events)
        result = await self._result(handle, job, events)
        outputs = map_outputs(result, job.output)
        bound.info("fal_completed", request_id=handle.request_id, outputs=len(outputs))
        return outputs

    async def cancel(self, request_id: str) -> bool:
        """PUT the cancel URL. True when fal took the cancellation (the request had not
        started); False when it is too late or fal no longer knows the request."""
        self._require_key()
        handle = FalHandle.decode(request_id)
        if handle is None:
            log.warning("fal_cancel_without_handle", request_id=request_id[:80])
            return False
        response = await self._http.send(Call.CANCEL, "PUT", handle.cancel_url)
        status = _body_status(response)
        if response.status_code in (200, 202) and status != "ALREADY_COMPLETED":
            return True
        if response.status_code in (400, 404, 409):
            log.info("fal_cancel_too_late", request_id=handle.request_id, status=status)
            return False
        raise_for_fal(response)
        return False

    # --- steps ----------------------------------------------------------------------------

    def _require_key(self) -> None:
        if not self._key:
            raise PermanentProviderError(
                "No fal.ai API key is configured on this server (FAL_KEY is missing).",
                code=CODE_AUTH,
            )

    def _handle_for(self, stored: str, model_id: str) -> FalHandle:
        """The stored handle, or for a bare fal request id the URLs fal documents."""
        return FalHandle.decode(stored) or FalHandle.from_request_id(
            self.base_url, model_id, stored
        )

    async def _submit(self, job: ProviderJob, events: ProviderEvents) -> FalHandle:
        told = _retry_notices(events)
        body = request_body(job.params, await self._file_urls(job.inputs, told))
        url = f"{self.base_url}/{job.model_id.strip('/')}"
        response = await self._http.send(Call.SUBMIT, "POST", url, json=body, on_retry=told)
        raise_for_fal(response)
        return FalHandle.from_submit(_json_or_none(response))

    async def _file_urls(
        self, inputs: Mapping[str, InputFiles], told: RetryNotice
    ) -> dict[str, str | list[str]]:
        """Each input's URL, and every file's of a list input, in order. Files are inlined
        while they fit in `data_uri_max_bytes` together, the rest uploaded: eight references
        of 10 MiB inlined would make one request body of over 100 MB."""
        inline = _InlineBudget(self._data_uri_max_bytes)
        urls: dict[str, str | list[str]] = {}
        for name, given in inputs.items():
            if isinstance(given, tuple):
                urls[name] = [await self._file_url(file, told, inline) for file in given]
            else:
                urls[name] = await self._file_url(given, told, inline)
        return urls

    async def _file_url(self, file: InputFile, told: RetryNotice, inline: _InlineBudget) -> str:
        """A data URI when the file fits in what is left of the request's inline budget, else
        a fal storage URL: fal's storage API gives a signed upload URL (the key goes only to
        the API), the bytes are PUT there, and the file's URL is what the model gets. Never a
        URL of our own storage."""
        if inline.take(len(file.data)):
            return data_uri(file)
        content_type = file.content_type or "application/octet-stream"
        response = await self._http.send(
            Call.UPLOAD,
            "POST",
            f"{self._storage_url}/storage/upload/initiate",
            params={"storage_type": STORAGE_TYPE},
            json={"file_name": file.filename or "input", "content_type": content_type},
            on_retry=told,
        )
        raise_for_fal(response, subject="fal.ai's file storage")
        slot = _json_or_none(response)
        upload_url = slot.get("upload_url") if isinstance(slot, dict) else None
        file_url = slot.get("file_url") if isinstance(slot, dict) else None
        if not isinstance(upload_url, str) or not isinstance(file_url, str):
            raise TransientProviderError(
                "fal.ai's file storage gave no address to upload a reference file to."
            )
        try:
            put = await self._client.put(
                upload_url, content=file.data, headers={"Content-Type": content_type}
            )
        except httpx.HTTPError as exc:
            raise TransientProviderError(
                f"A reference file could not be uploaded to fal.ai ({type(exc).__name__})."
            ) from exc
        if put.status_code >= 400:
            reason = f"A reference file could not be uploaded to fal.ai (HTTP {put.status_code})."
            if put.status_code in (408, 429) or put.status_code >= 500:
                raise TransientProviderError(reason)
            raise PermanentProviderError(reason, code="provider_input_upload")
        log.info("fal_input_uploaded", size=len(file.data), content_type=content_type)
        return file_url

    async def _wait(self, handle: FalHandle, job: ProviderJob, events: ProviderEvents) -> None:
        """Poll until COMPLETED, backing off while nothing changes, resetting when it does."""
        watch = _Watch()
        interval = self._poll_interval_s
        deadline = None if self._max_wait_s is None else time.monotonic() + self._max_wait_s
        told = _retry_notices(events)
        while True:
            response = await self._http.send(
                Call.STATUS, "GET", handle.status_url, params={"logs": "1"}, on_retry=told
            )
            body = self._status_body(response, handle, job)
            if await self._report(body, watch, events):
                interval = self._poll_interval_s
            if body.get("status") == "COMPLETED":
                return
            if deadline is not None and time.monotonic() + interval > deadline:
                if watch.status == "IN_QUEUE":
                    await self._cancel_quietly(handle)  # not started: nothing to pay for
                raise PermanentProviderError(
                    f"fal.ai did not finish the job within {self._max_wait_s:.0f} s "
                    f"({_STILL.get(watch.status or '', 'it had not finished')}).",
                    code="provider_timeout",
                )
            await asyncio.sleep(interval)
            interval = min(self._max_poll_interval_s, interval * 1.5)

    async def _cancel_quietly(self, handle: FalHandle) -> None:
        try:
            await self.cancel(handle.encode())
        except ProviderError as exc:
            log.warning("fal_cancel_failed", request_id=handle.request_id, error=exc.message)

    @staticmethod
    def _status_body(response: httpx.Response, handle: FalHandle, job: ProviderJob) -> Any:
        if response.status_code == 404:
            # Expired (results are kept about an hour) or never existed: resuming cannot work.
            raise TransientProviderError(
                "fal.ai no longer knows this request (it keeps one about an hour).",
                code=CODE_REQUEST_FAILED,
            )
        raise_for_fal(response)
        body = _json_or_none(response)
        if not isinstance(body, dict):
            log.warning("fal_unreadable_status", answer=describe(response))
            raise TransientProviderError("fal.ai answered a status that could not be read.")
        return body

    @staticmethod
    async def _report(body: dict[str, Any], watch: _Watch, events: ProviderEvents) -> bool:
        """Send what is new since the last poll; True when anything changed."""
        status = body.get("status")
        changed = status != watch.status
        watch.status = status if isinstance(status, str) else None
        position = body.get("queue_position")
        if status == "IN_QUEUE" and isinstance(position, int) and position != watch.queue_position:
            watch.queue_position = position
            await events.progress(ProviderProgress(queue_position=position))
            changed = True
        new_lines = _new_log_lines(body.get("logs"), watch.seen_logs)
        if new_lines:
            await events.progress(ProviderProgress(logs=tuple(new_lines)))
            changed = True
        return changed

    async def _result(self, handle: FalHandle, job: ProviderJob, events: ProviderEvents) -> Any:
        response = await self._http.send(
            Call.RESULT, "GET", handle.response_url, on_retry=_retry_notices(events)
        )
        raise_for_fal(response)
        body = _json_or_none(response)
        if body is None:
            log.warning("fal_unreadable_result", answer=describe(response))
            raise TransientProviderError("fal.ai answered a result that could not be read.")
        return body


def _retry_notices(events: ProviderEvents) -> RetryNotice:
    """fal's quick retries, told as progress: the card's log line says what fal answered and
    when it is asked again. Only a failing call says anything, so the happy path writes nothing
    more."""

    async def tell(line: str) -> None:
        await events.progress(ProviderProgress(logs=(line,)))

    return tell


def _new_log_lines(logs: Any, seen: set[tuple[str, str, int]]) -> list[str]:
    """fal answers all logs so far on each poll: keep those not reported yet, in order. A line
    is known by timestamp, message and how often that pair came before it in the same answer,
    so a genuinely repeated line is still reported once per occurrence."""
    if not isinstance(logs, list):
        return []
    lines = []
    occurrences: dict[tuple[str, str], int] = {}
    for entry in logs:
        if not isinstance(entry, dict) or not isinstance(entry.get("message"), str):
            continue
        pair = (str(entry.get("timestamp", "")), entry["message"])
        occurrences[pair] = occurrences.get(pair, 0) + 1
        key = (*pair, occurrences[pair])
        if key not in seen:
            seen.add(key)
            lines.append(entry["message"])
    return lines


def _json_or_none(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _body_status(response: httpx.Response) -> str | None:
    body = _json_or_none(response)
    status = body.get("status") if isinstance(body, dict) else None
    return status if isinstance(status, str) else None
