"""The worker: takes `generation.requested` from the shared durable consumer and runs each job.

Per job: claim it (pending → processing, or take over a processing job whose worker's lease
ran out), announce `generation.started`, run the provider while renewing the lease and watching
for a cancel request, write the outputs to storage, complete it and announce
`generation.completed`. Transient failures put the job back to pending and retry it later with
backoff, up to `max_attempts`; permanent ones fail it at once with the provider's words.
"""

import asyncio
import contextlib
import math
import random
import re
import time

import structlog
from studio_contracts.assets import Asset, OutputsRegistration
from studio_contracts.dtos import ErrorInfo
from studio_contracts.enums import GenerationStatus
from studio_contracts.events import GenerationRequested, OutputFile
from studio_contracts.generations import GenerationProgressInfo
from studio_runtime import tracing
from studio_runtime.clients import AssetsClient
from studio_runtime.clock import now_ms
from studio_runtime.errors import ServiceUnavailable
from studio_runtime.events import RetryLater
from studio_runtime.ids import new_id
from studio_runtime.internal_auth import Identity

from studio_generation import metrics
from studio_generation.cancels import CancelSignals
from studio_generation.events import GenerationEvents
from studio_generation.outputs import OutputWriter
from studio_generation.providers.base import (
    InputFile,
    InputFiles,
    PermanentProviderError,
    Provider,
    ProviderError,
    ProviderJob,
    ProviderOutput,
    ProviderProgress,
    sentence,
)
from studio_generation.records import GenerationRecord
from studio_generation.repository import GenerationRepository, Holder, Lease
from studio_generation.settings import WorkerSettings

log = structlog.get_logger(__name__)

MAX_INPUT_BYTES = 100 * 1024 * 1024
_INPUT_MISSING = (
    "A reference file was deleted before the generation ran; choose another and try again."
)
_LOST = (
    "The generation was interrupted too many times (the server running it stopped each time) "
    "and was given up; try it again, and tell the operator if it keeps happening."
)
PROGRESS_EVERY_S = 1.0
_VERSION = re.compile(r"^v\d+(\.\d+)*$")


class JobStopped(Exception):
    """The job ended early: cancelled by its owner, its record removed, or past its deadline."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Worker:
    def __init__(
        self,
        repository: GenerationRepository,
        events: GenerationEvents,
        providers: dict[str, Provider],
        writer: OutputWriter,
        assets: AssetsClient,
        cancels: CancelSignals,
        settings: WorkerSettings,
    ) -> None:
        self._repository = repository
        self._events = events
        self._providers = providers
        self._writer = writer
        self._assets = assets
        self._cancels = cancels
        self._settings = settings
        self._holder = Holder(settings.worker_name, new_id())
        self._taken_back: set[asyncio.Task[None]] = set()

    async def handle(self, event: GenerationRequested) -> None:
        await self.run(event.generation_id)

    async def run(self, generation_id: str) -> None:
        """Claim the job and run it to its end; `RetryLater` asks its delivery to come back."""
        cancel_signal = self._cancels.watch(generation_id)
        metrics.IN_FLIGHT.inc()
        try:
            await self._handle(generation_id, cancel_signal)
        finally:
            metrics.IN_FLIGHT.dec()
            self._cancels.forget(generation_id)

    async def take_back(self) -> int:
        """Start again, now, the jobs this worker's previous life was running when it died (by
        `worker_name`); how many. Their deliveries are still out with the dead process until
        NATS's ack wait ends: when one comes back, the job is found running here, or done."""
        generation_ids = await self._repository.held_by_previous_life(self._holder)
        for generation_id in generation_ids:
            task = asyncio.create_task(self._run_taken_back(generation_id))
            self._taken_back.add(task)
            task.add_done_callback(self._taken_back.discard)
        if generation_ids:
            log.info("jobs.taken_back", count=len(generation_ids), worker=self._holder.name)
        return len(generation_ids)

    async def _run_taken_back(self, generation_id: str) -> None:
        try:
            await self.run(generation_id)
        except RetryLater as later:
            # Put back to pending (or another worker's now): the job's own delivery, still out
            # with the dead process, comes back when NATS's ack wait ends and runs it again.
            log.info("job.taken_back_later", generation_id=generation_id, reason=str(later))
        except Exception:
            log.exception("job.take_back_failed", generation_id=generation_id)

    async def stop_taken_back(self, grace_s: float) -> None:
        """Give the jobs taken back `grace_s` to finish, as the consumer gives its own; then
        stop them (their deliveries bring them back to a worker)."""
        if not self._taken_back:
            return
        _, running = await asyncio.wait(set(self._taken_back), timeout=grace_s)
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)

    async def _handle(self, generation_id: str, cancel_signal: asyncio.Event) -> None:
        lease_ms = int(self._settings.lease_s * 1000)
        record = await self._repository.claim(generation_id, lease_ms=lease_ms, holder=self._holder)
        if record is None:
            await self._not_claimed(generation_id)
            return
        with structlog.contextvars.bound_contextvars(
            generation_id=record.id, attempt=record.attempts
        ):
            if record.attempts > self._settings.max_attempts:
                # Only takeovers get here (a transient failure gives up at max_attempts): the
                # job's workers kept dying, so it may be what kills them. Stop trying.
                await self._fail(record, ErrorInfo(code="worker_lost", message=_LOST))
                return
            metrics.claimed(record)
            await self._events.started(record)
            retrying = self._retrying(record)
            if retrying is not None:
                await self._say_retrying(record, retrying)
            try:
                files, made_from = await self._execute(record, cancel_signal, retrying)
                files = await self._register(record, files, made_from)
            except JobStopped as stop:
                await self._stopped(record, stop.reason)
            except PermanentProviderError as exc:
                await self._fail(record, ErrorInfo(code=exc.code, message=exc.message))
            except Exception as exc:
                await self._transient(record, exc)
            else:
                await self._complete(record, files)

    async def _not_claimed(self, generation_id: str) -> None:
        current = await self._repository.get_by_id(generation_id)
        if current is None:
            log.info("job.dropped", generation_id=generation_id, reason="no such generation")
        elif current.status is GenerationStatus.PROCESSING:
            # Another worker holds the lease. It may have just died (this is its job, redelivered
            # a moment before its lease lapsed), so look again once the lease has run out: then
            # either the job is finished (dropped), or still renewed (alive), or ours to take.
            remaining_s = (current.lease_until_ms - now_ms()) / 1000
            raise RetryLater("running elsewhere", max(remaining_s, 0) + 0.5)
        elif current.status is GenerationStatus.PENDING:
            raise RetryLater("claim raced with another worker", 1.0)
        elif current.status is GenerationStatus.COMPLETED:
            # The job was not acked, so its worker may have died between completing it and
            # saying so: say it (again). Event ids make a repeat a no-op for JetStream and for
            # every consumer, which is cheaper than one more write per job to remember it.
            await self._events.completed(current, current.outputs)
        else:
            log.info("job.dropped", generation_id=generation_id, reason=current.status.value)

    def _retrying(self, record: GenerationRecord) -> str | None:
        """What the card says while a job runs again after a transient failure (None on a
        first attempt, so the happy path writes nothing more)."""
        if record.attempts <= 1 or record.last_error is None:
            return None
        why = _clause(_what_happened(record.last_error))
        return f"Trying again (attempt {record.attempts} of {self._settings.max_attempts}): {why}"

    async def _say_retrying(self, record: GenerationRecord, line: str) -> None:
        info = GenerationProgressInfo(logs=[line])
        await self._repository.set_progress(record.id, info)
        await self._events.progress(record, info)

    async def _execute(
        self, record: GenerationRecord, cancel_signal: asyncio.Event, retrying: str | None = None
    ) -> tuple[list[OutputFile], str]:
        """The job run and its outputs written; with what its outputs are named after when its
        prompt has no words (`_made_from`)."""
        if record.cancel_requested:
            raise JobStopped("cancelled")  # asked while the job changed hands
        provider = self._provider_for(record)
        inputs, names = await self._load_inputs(record)
        job = ProviderJob(
            generation_id=record.id,
            model_id=record.model_id,
            type=record.type,
            output=record.output,
            params=record.params,
            inputs=inputs,
            resume_request_id=record.provider_request,
        )
        reporter = _Reporter(self._repository, self._events, record, retrying)
        run = asyncio.create_task(_run(provider, record.runtime, job, reporter))
        watch = asyncio.create_task(self._watch(record.id, cancel_signal))
        deadline = self._settings.model_deadlines_s.get(
            record.model_id, self._settings.job_deadline_s
        )
        try:
            done, _ = await asyncio.wait(
                {run, watch}, timeout=deadline, return_when=asyncio.FIRST_COMPLETED
            )
        except asyncio.CancelledError:
            # The job itself is stopped (the worker shuts down and its grace is over): the
            # provider's run and the progress it holds stop with it, or they would go on storing
            # and announcing progress of a job handed to another worker. A fal request is left
            # running at fal: the worker that gets the job resumes it by its stored id.
            run.cancel()
            await asyncio.gather(run, return_exceptions=True)
            raise
        finally:
            watch.cancel()
            if run.done():
                await reporter.close()
        if run in done:
            outputs: list[ProviderOutput] = run.result()
            return await self._writer.write(record, outputs), _made_from(record, names)
        run.cancel()
        await asyncio.gather(run, return_exceptions=True)
        await reporter.close()
        if reporter.handle is not None:
            try:
                await provider.cancel(reporter.handle)
            except ProviderError as exc:
                log.warning("provider.cancel_failed", error=exc.message)
        reason = watch.result() if watch in done else f"timed out after {deadline:g} s"
        raise JobStopped(reason)

    async def _watch(self, generation_id: str, cancel_signal: asyncio.Event) -> str:
        """Renew the lease until the job is cancelled or its record goes; say which. A cancel
        announcement wakes it at once; the record's flag decides."""
        lease_ms = int(self._settings.lease_s * 1000)
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(cancel_signal.wait(), self._settings.heartbeat_s)
            cancel_signal.clear()
            lease = await self._repository.renew_lease(generation_id, lease_ms=lease_ms)
            if lease is Lease.LOST:
                return "gone"
            if lease is Lease.CANCEL_REQUESTED:
                return "cancelled"

    def _provider_for(self, record: GenerationRecord) -> Provider:
        provider = self._providers.get(record.runtime)
        if provider is None:
            raise PermanentProviderError(
                "No fal.ai key is configured on this server (set STUDIO_FAL_KEY or FAL_KEY), so "
                "hosted models cannot run; choose a local model or ask the operator to add a key.",
                code="provider_not_configured",
            )
        return provider

    async def _load_inputs(
        self, record: GenerationRecord
    ) -> tuple[dict[str, InputFiles], dict[str, str]]:
        """Every bound file, by parameter: a list parameter (`image_urls`) gets all of its
        files, in the order the person gave them, each within `MAX_INPUT_BYTES`; and each
        file's name, by asset id."""
        identity = _owner(record)
        inputs: dict[str, InputFiles] = {}
        names: dict[str, str] = {}
        for name, bound in record.input_bindings.items():
            ids = bound if isinstance(bound, list) else [bound]
            files = await asyncio.gather(*(self._load_input(identity, i) for i in ids))
            names.update(zip(ids, (file.filename for file in files), strict=True))
            inputs[name] = tuple(files) if isinstance(bound, list) else files[0]
        return inputs, names

    async def _load_input(self, identity: Identity, asset_id: str) -> InputFile:
        asset = await self._assets.get(identity, asset_id)
        if asset is None:
            # Shown on the failed card: the record keeps no names of its inputs, and the
            # asset is gone, so the file cannot be named; its id would mean nothing there.
            raise PermanentProviderError(_INPUT_MISSING, code="input_missing")
        data = await self._assets.content(identity, asset_id, max_bytes=MAX_INPUT_BYTES)
        return InputFile(content_type=asset.content_type, data=data, filename=asset.name)

    async def _register(
        self, record: GenerationRecord, files: list[OutputFile], made_from: str = ""
    ) -> list[OutputFile]:
        """Outputs become assets before the job is completed: whoever sees `completed` (in
        the API or in an event) can fetch every output and its thumbnail at once. Returns the
        files with what the assets service found in them (a sound's waveform, whether a
        preview was made, and the size and length the provider did not say)."""
        assets = await self._assets.register_outputs(
            _owner(record),
            OutputsRegistration(
                generation_id=record.id,
                project_id=record.project_id,
                prompt=record.prompt,
                made_from=made_from,
                outputs=files,
            ),
        )
        found = {asset.id: asset for asset in assets}
        return [
            _with_found(file, found[file.asset_id]) if file.asset_id in found else file
            for file in files
        ]

    async def _complete(self, record: GenerationRecord, files: list[OutputFile]) -> None:
        finished = await self._repository.complete(record.id, files)
        if finished is None:
            current = await self._repository.get_by_id(record.id)
            if current is not None and current.status is GenerationStatus.COMPLETED:
                # Another run of this job (it took the job over when this one's lease ran out)
                # completed it first. Its outputs have these keys and asset ids: they stay.
                log.info("job.completed_by_another_run")
                return
            # Cancelled or deleted while the outputs were stored: nobody wants them.
            for file in files:
                if file.asset_id:
                    await self._assets.delete(_owner(record), file.asset_id)
            await self._writer.remove([f.object_key for f in files])
            await self._stopped(record, "cancelled")
            return
        # The slot is given back beside the announcement, not before it: a process dying in
        # between leaves the counter too high, which the next request finding it full corrects.
        await asyncio.gather(
            self._events.completed(finished, files),
            self._repository.release_active(finished.owner),
        )
        metrics.finished(finished, "completed")
        log.info("job.completed", outputs=len(files), ms=_since(record))

    async def _fail(self, record: GenerationRecord, error: ErrorInfo) -> None:
        failed = await self._repository.fail(record.id, error)
        if failed is not None:
            await self._events.failed(failed, error)
            metrics.finished(failed, "failed")
            log.info("job.failed", code=error.code, message=error.message)

    async def _stopped(self, record: GenerationRecord, reason: str) -> None:
        if reason.startswith("timed out"):
            message = f"The generation {reason} and was stopped; the model did not finish in time."
            await self._fail(record, ErrorInfo(code="timeout", message=message))
            return
        cancelled = await self._repository.mark_cancelled(record.id)
        if cancelled is not None:
            await self._events.cancelled(cancelled)
            metrics.finished(cancelled, "cancelled")
        log.info("job.stopped", reason=reason)

    async def _transient(self, record: GenerationRecord, exc: Exception) -> None:
        message = exc.message if isinstance(exc, ProviderError) else f"{type(exc).__name__}: {exc}"
        if isinstance(exc, ServiceUnavailable):
            # Another service restarting or stopping (the assets service, when the whole studio
            # stops): expected, and the job is tried again; no traceback for it.
            log.warning("job.service_unavailable", reason=str(exc))
        elif not isinstance(exc, ProviderError):
            log.error("job.crashed", exc_info=exc)
        code = exc.code if isinstance(exc, ProviderError) else _error_code(exc)
        error = ErrorInfo(code=code, message=message)
        if record.attempts >= self._settings.max_attempts:
            # What went wrong, as it went wrong the last time: fal.ai may have answered (busy,
            # an error) or run the job and its result file been missing; not "could not run it".
            said = (
                f"{_what_happened(error)} The studio tried {record.attempts} times; try again "
                "in a while."
            )
            await self._fail(record, ErrorInfo(code="provider_unavailable", message=said))
            return
        dead_request = code == "provider_request_failed"
        # Not a retry loop: the wait is JetStream's (a NAK with this delay), so the job may come
        # back to any worker, and a restart in between does not lose it.
        delay = min(2.0**record.attempts, 60.0) * random.uniform(0.5, 1.0)
        # The record goes back to pending: the same write stores, and an event (whose status
        # says pending) tells the card, why it waits and when it is tried again, so a live card
        # reads "Waiting to retry" as a reloaded page does. Only retried jobs pay for this.
        waiting = GenerationProgressInfo(
            logs=[
                f"Trying again in about {math.ceil(delay)} s (attempt {record.attempts + 1} of "
                f"{self._settings.max_attempts}): {_clause(_what_happened(error))}"
            ]
        )
        released = await self._repository.release(
            record.id, error, waiting, forget_request=dead_request
        )
        if released is not None:
            await self._events.progress(released, waiting)
        raise RetryLater(message, delay)


async def _run(
    provider: Provider, name: str, job: ProviderJob, reporter: "_Reporter"
) -> list[ProviderOutput]:
    """One provider run, timed and traced (a child span of the job's message)."""
    with (
        tracing.span("provider.run", provider=name, model=job.model_id),
        metrics.provider_call(name),
    ):
        try:
            return await provider.run(job, reporter)
        except PermanentProviderError:
            metrics.PROVIDER_ERRORS.labels(name, "permanent").inc()
            raise
        except ProviderError:
            metrics.PROVIDER_ERRORS.labels(name, "transient").inc()
            raise
        except asyncio.CancelledError:
            raise
        except Exception:
            metrics.PROVIDER_ERRORS.labels(name, "crash").inc()
            raise


class _Reporter:
    """The provider's side channel: its request id (stored before waiting) and progress
    (stored and announced, at most once a second; what comes sooner is held and the latest
    sent when the second is up, so a card is never left on a line that is no longer true)."""

    def __init__(
        self,
        repository: GenerationRepository,
        events: GenerationEvents,
        record: GenerationRecord,
        retrying: str | None = None,
    ) -> None:
        self._repository = repository
        self._events = events
        self._record = record
        self._retrying = retrying
        self._last = 0.0
        self._held: GenerationProgressInfo | None = None
        self._later: asyncio.Task[None] | None = None
        self.handle: str | None = record.provider_request

    async def submitted(self, request_id: str) -> None:
        self.handle = request_id
        await self._repository.set_provider_request(self._record.id, request_id)

    async def progress(self, progress: ProviderProgress) -> None:
        info = GenerationProgressInfo(
            queue_position=progress.queue_position,
            percent=progress.percent,
            # A retried job keeps saying so until the provider has words of its own (a
            # queue position alone would hide that this is a second try).
            logs=list(progress.logs[-20:]) or ([self._retrying] if self._retrying else []),
        )
        wait = self._last + PROGRESS_EVERY_S - time.monotonic()
        if wait > 0:
            self._held = info
            if self._later is None:
                self._later = asyncio.create_task(self._send_held(wait))
            return
        self._held = None
        await self._send(info)

    async def close(self) -> None:
        """Drop what is held: the job has ended, and its outcome says the rest."""
        self._held = None
        if self._later is not None:
            self._later.cancel()
            await asyncio.gather(self._later, return_exceptions=True)
            self._later = None

    async def _send_held(self, wait: float) -> None:
        await asyncio.sleep(wait)
        self._later = None
        held, self._held = self._held, None
        if held is None:
            return
        try:
            await self._send(held)
        except Exception as exc:  # progress is best effort; the job goes on
            log.warning("progress.send_failed", error=str(exc))

    async def _send(self, info: GenerationProgressInfo) -> None:
        self._last = time.monotonic()
        await self._repository.set_progress(self._record.id, info)
        await self._events.progress(self._record, info)


_STUDIO_TROUBLE = {
    "service_unavailable": "A part of the studio was restarting.",
    "worker_error": "Something went wrong on the server.",
}
"""The studio's own transient failures, as the card words them (their details, in the error
kept on the record, are for the operator)."""


def _what_happened(error: ErrorInfo) -> str:
    """Why a job is tried again (or given up), as a sentence for its owner. A provider's error
    says it in its own words, true to what happened: fal.ai did not answer, is busy (HTTP 429),
    had an error (HTTP 502), failed to run it, or the result file could not be fetched."""
    return _STUDIO_TROUBLE.get(error.code) or sentence(error.message)


def _clause(text: str) -> str:
    """A sentence as the part of a line after "Trying again …:": no full stop, and its first
    letter in lower case (not a name such as fal.ai, nor an abbreviation such as HTTP)."""
    text = text.rstrip(".")
    first = text.split(" ", 1)[0]
    if first[:1].isupper() and not any(letter.isupper() for letter in first[1:]):
        return text[0].lower() + text[1:]
    return text


def _with_found(file: OutputFile, asset: Asset) -> OutputFile:
    """The output with what registering it found: the generation shows what its asset shows.
    A size or length the provider gave is kept (the asset has it too); one it did not give
    (fal's videos and sounds come without a duration) is the one read from the file."""
    return file.model_copy(
        update={
            "waveform": asset.waveform,
            "thumbnail": asset.thumbnail_url is not None,
            "width": file.width or asset.width,
            "height": file.height or asset.height,
            "duration": file.duration or asset.duration,
        }
    )


def _made_from(record: GenerationRecord, names: dict[str, str]) -> str:
    """What a generation without a prompt's words was made from, to name its outputs by: its
    first input's name (without its extension) and the model's short name, "cat birefnet".
    Empty when its prompt names them, or it has no input."""
    if any(char.isalnum() for char in record.prompt) or not record.input_asset_ids:
        return ""
    name = names.get(record.input_asset_ids[0])
    return f"{name.rsplit('.', 1)[0]} {_short_name(record.model_id)}" if name else ""


def _short_name(model_id: str) -> str:
    """The model as a file's name says it: its id without the owner nor a version
    ("fal-ai/birefnet/v2" → "birefnet", "fal-ai/bria/background/remove" → "bria background
    remove")."""
    segments = model_id.strip("/").split("/")[1:]
    return " ".join(s for s in segments if not _VERSION.match(s)) or model_id


def _error_code(exc: Exception) -> str:
    return "service_unavailable" if isinstance(exc, ServiceUnavailable) else "worker_error"


def _owner(record: GenerationRecord) -> Identity:
    """The generation's owner, as whom the worker asks the assets service."""
    return Identity(record.owner, record.request_id)


def _since(record: GenerationRecord) -> int:
    return now_ms() - (record.started_ms or 0)
