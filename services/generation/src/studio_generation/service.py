"""What the generation API does: accept a request (validated, stored, queued), and the user's
actions on generations (cancel, retry, delete). The worker's side is in `worker.py`."""

import asyncio
import json
import secrets
from collections.abc import Awaitable
from typing import Any

import structlog
from pydantic import ValidationError
from studio_contracts.dtos import CursorPage
from studio_contracts.enums import GenerationStatus, GenerationType
from studio_contracts.events import AssetDeleted, ProjectDeleted
from studio_contracts.generations import Generation, GenerationCreate
from studio_contracts.problems import summarise
from studio_runtime.clients import AssetsClient, CatalogClient
from studio_runtime.clock import now_ms
from studio_runtime.errors import (
    Conflict,
    InvalidInput,
    PayloadTooLarge,
    TooManyRequests,
    not_yours,
)
from studio_runtime.idempotency import fingerprint, key_busy, key_reused
from studio_runtime.ids import new_id
from studio_runtime.internal_auth import Identity
from studio_runtime.pagination import split_page

from studio_generation import metrics
from studio_generation.cancels import CancelBroadcaster
from studio_generation.events import GenerationEvents
from studio_generation.inputs import bind_inputs
from studio_generation.projects_cache import CachedProjects
from studio_generation.records import GenerationRecord, NewGeneration, public
from studio_generation.repository import GenerationRepository, KeyClaim
from studio_generation.settings import GenerationSettings

log = structlog.get_logger(__name__)

IDEMPOTENCY_WAIT_S = 10.0
IDEMPOTENCY_ORPHAN_S = 60.0
"""A key held this long by a request whose record is not there was left by a failed request."""
ACTIVE_LIMIT_RETRY_S = 10.0
MAX_REQUEST_FIELDS_BYTES = 512 * 1024
"""The most the caller's fields (prompt, parameters with defaults, input ids) may take in the
`generation.requested` event. NATS refuses a message over its max payload (1 MiB by default),
and a generation stored but never queued would stay pending for ever; the rest of the event is
a few hundred bytes. Request bodies are capped lower (256 KiB), so this only holds the line
should a default or a cap grow."""


class TooManyActive(TooManyRequests):
    """The owner's active-generation limit, told apart from the gateway's request limits by its
    problem type: a client can try again as soon as one of its generations ends."""

    code = "too-many-active"


class GenerationService:
    def __init__(
        self,
        repository: GenerationRepository,
        catalog: CatalogClient,
        assets: AssetsClient,
        projects: CachedProjects,
        events: GenerationEvents,
        cancels: CancelBroadcaster,
        settings: GenerationSettings,
    ) -> None:
        self._repository = repository
        self._catalog = catalog
        self._assets = assets
        self._projects = projects
        self._events = events
        self._cancels = cancels
        self._settings = settings

    async def require_project(self, identity: Identity, project_id: str) -> None:
        await self._projects.require_project(identity, project_id)

    async def request(
        self,
        identity: Identity,
        project_id: str,
        body: GenerationCreate,
        idempotency_key: str | None,
    ) -> GenerationRecord:
        """Store a new pending generation and queue it, or, for a repeated Idempotency-Key,
        return the generation the key first made."""
        generation_id = new_id()
        if idempotency_key is not None:
            reserved = await self._reserve_key(
                identity.user_id,
                idempotency_key,
                generation_id,
                fingerprint(project_id, body.model_dump_json()),
            )
            if isinstance(reserved, GenerationRecord):
                return reserved
            generation_id = reserved
        try:
            return await self._accept(identity, project_id, body, generation_id)
        except BaseException:
            if idempotency_key is not None:
                await self._repository.release_idempotency_key(
                    identity.user_id, idempotency_key, generation_id
                )
            raise

    async def _reserve_key(
        self, owner: str, key: str, generation_id: str, fingerprint: str
    ) -> GenerationRecord | str:
        """The generation this key already made, or the id to accept the request under."""
        deadline = asyncio.get_running_loop().time() + IDEMPOTENCY_WAIT_S
        while asyncio.get_running_loop().time() < deadline:
            holder = await self._repository.claim_idempotency_key(
                owner, key, generation_id, fingerprint
            )
            if holder is KeyClaim.RESERVED:
                return generation_id
            if holder is not KeyClaim.VANISHED:
                age_ms = now_ms() - holder.created_ms
                if age_ms > self._settings.idempotency_ttl_s * 1000:
                    await self._repository.drop_idempotency_key(owner, key)
                    continue
                if holder.fingerprint not in (None, fingerprint):
                    raise key_reused()
                existing = await self._repository.get(owner, holder.generation_id)
                if existing is not None:
                    return existing
                if age_ms > IDEMPOTENCY_ORPHAN_S * 1000:
                    # A request that took the key a minute ago and has stored nothing failed
                    # and could not give the key back (the database was down at its end), or
                    # hangs on a database that stopped answering: every retry was refused until
                    # the key expired, a day later. This one carries it out, under the same
                    # generation id: should the first one's record land after all, the two are
                    # one record (stored once, queued once: the queue drops a repeated id).
                    log.warning("idempotency.key_taken_over", generation_id=holder.generation_id)
                    return holder.generation_id
            # The first request with this key is still being accepted (or just failed and
            # released it): wait for its record, or for the key to come free.
            await asyncio.sleep(0.05)
        raise key_busy()

    async def _accept(
        self, identity: Identity, project_id: str, body: GenerationCreate, generation_id: str
    ) -> GenerationRecord:
        params = dict(body.params)
        if body.prompt:
            params["prompt"] = body.prompt
        files = body.files()
        asset_ids = [file.asset_id for file in files]
        _, validated, assets = await asyncio.gather(
            self._projects.require_project(identity, project_id),
            self._catalog.validate(identity, body.model_id, body.type, params),
            asyncio.gather(*(self._assets.get(identity, asset_id) for asset_id in asset_ids)),
        )
        bindings, errors = bind_inputs(
            body.type,
            [(asset, file.param) for asset, file in zip(assets, files, strict=True)],
            validated.media_params,
            field="inputs" if body.inputs else "input_asset_ids",
        )
        if errors:
            raise InvalidInput(summarise(e.msg for e in errors), errors=errors)
        final = dict(validated.params)
        if validated.seed_range is not None and final.get("seed") is None:
            final["seed"] = random_seed(validated.seed_range)
        refuse_unpublishable(body.prompt, final, asset_ids)
        record, counted = await self._repository.insert(
            NewGeneration(
                id=generation_id,
                owner=identity.user_id,
                project_id=project_id,
                type=body.type,
                model_id=body.model_id,
                runtime=validated.runtime,
                output=validated.output,
                prompt=body.prompt,
                params=final,
                input_asset_ids=asset_ids,
                input_bindings=bindings,
                created_ms=now_ms(),
                request_id=identity.request_id,
            ),
            active_limit=self._settings.max_active_per_user,
        )
        if not counted:
            await self._recount_for_a_slot(record)
        await self.publish_requested(record)
        log.info("generation.accepted", generation_id=generation_id, model_id=body.model_id)
        return record

    async def _recount_for_a_slot(self, record: GenerationRecord) -> None:
        """The record is stored, but its owner's active counter said full: count the records
        (the counter may say too much after a crash) and try once more, or withdraw the record
        and refuse. The counter is atomic: a burst of requests cannot overrun the limit."""
        owner, limit = record.owner, self._settings.max_active_per_user
        await self._repository.recount_active(owner, limit + 1, uncounted=1)
        if await self._repository.reserve_active(owner, limit):
            return
        await self._repository.withdraw(record.id)
        which = "it" if limit == 1 else "some"
        raise TooManyActive(
            f"You have {limit} generation{'' if limit == 1 else 's'} queued or running, the most "
            f"allowed at once; wait for {which} to finish (or cancel {which}), then try again.",
            retry_after_s=ACTIVE_LIMIT_RETRY_S,
        )

    async def publish_requested(self, record: GenerationRecord) -> None:
        """Queue the generation. If the broker is down the record stays as stored, unpublished,
        and the relay queues it later: an accepted generation is never lost.

        Nothing is written once it is queued: a record the worker claims within the relay's
        `min_age_s` (nearly all of them) is never looked at again, and one still pending after
        it is published once more by the relay, which JetStream drops as a repeat (the message
        id is the generation id, the relay's wait far shorter than the stream's duplicate
        window). That costs a publish per record of a long queue, instead of a database write
        per request."""
        try:
            await self._events.requested(record)
        except Exception as exc:
            log.warning("generation.publish_deferred", generation_id=record.id, error=str(exc))

    async def publish_unpublished(self, *, older_than_ms: int) -> int:
        """Queue what may have been accepted while the broker was down (see
        `publish_requested`), and flag it so that it is published this once; the relay calls
        this. Returns how many were published."""
        stranded = await self._repository.unpublished(older_than_ms)
        published = []
        for record in stranded:
            try:
                await self._events.requested(record)
            except Exception as exc:
                log.warning("relay.publish_failed", generation_id=record.id, error=str(exc))
                break
            published.append(record.id)
        await self._repository.mark_published(published)
        return len(published)

    async def requeue_abandoned(self, *, lease_ended_before_ms: int) -> int:
        """Queue again the jobs NATS no longer holds (their workers died too often); the relay
        calls this."""
        abandoned = await self._repository.abandoned(lease_ended_before_ms)
        for record in abandoned:
            await self._events.requested(record, requeue=True)
        return len(abandoned)

    async def list_page(
        self,
        owner: str,
        *,
        project_id: str | None,
        status: GenerationStatus | None,
        type: GenerationType | None,
        cursor: str | None,
        limit: int,
    ) -> CursorPage[Generation]:
        records = await self._repository.find_page(
            owner,
            project_id=project_id,
            status=status.value if status else None,
            type=type.value if type else None,
            cursor=cursor,
            limit=limit,
        )
        page, next_cursor = split_page(records, limit, lambda record: record.id)
        return CursorPage[Generation](items=[public(r) for r in page], next_cursor=next_cursor)

    async def cancel(self, identity: Identity, generation_id: str) -> GenerationRecord:
        record = await self._repository.cancel_pending(identity.user_id, generation_id)
        if record is not None:
            # Cancelled either way; with the broker down, other tabs learn it when they reload.
            await _announce(self._events.cancelled(record), "cancel", generation_id)
            metrics.finished(record, "cancelled")
            return record
        record = await self._repository.request_cancel(identity.user_id, generation_id)
        if record is not None:
            # The worker holding the job hears this at once, cancels at the provider and ends
            # the generation cancelled.
            await self._cancels.announce(generation_id)
            return record
        record = await self.get(identity, generation_id)
        raise Conflict(
            f"Generation {generation_id} is already {record.status.value}; there is nothing to "
            "cancel."
        )

    async def retry(
        self, identity: Identity, generation_id: str, *, reroll_seed: bool
    ) -> GenerationRecord:
        original = await self.get(identity, generation_id)
        params = {k: v for k, v in original.params.items() if k != "prompt"}
        if reroll_seed:
            params.pop("seed", None)
        try:
            body = GenerationCreate(
                type=original.type,
                model_id=original.model_id,
                prompt=original.prompt,
                params=params,
                # Each file to the parameter it went to before (a mask stays the mask); as
                # plain data, so that the ids are checked again.
                inputs=[file.model_dump() for file in public(original).inputs],
            )
        except ValidationError as exc:
            # Stored before its ids had to be canonical (`local/./image`): not repeated as is.
            raise Conflict(
                f"Generation {generation_id}'s request is no longer accepted (its model or input "
                "ids are not in canonical form); request it anew."
            ) from exc
        return await self._accept(identity, original.project_id, body, new_id())

    async def delete(self, identity: Identity, generation_id: str, *, delete_outputs: bool) -> None:
        deleted = await self._repository.delete(identity.user_id, generation_id)
        if deleted is None:
            existing = await self.get(identity, generation_id)
            raise Conflict(
                f"Generation {generation_id} is still {existing.status.value}; cancel it before "
                "deleting it."
            )
        # Said before the outputs go, so a listener drops the card before its files' events.
        # The record is gone either way: a lost event (the broker down, a crash right here)
        # leaves a project's count one too high and other tabs showing the card until they
        # reload, which is all that hangs on it, so it does not fail the request.
        await _announce(
            self._events.deleted(deleted, identity.request_id), "deletion", generation_id
        )
        if delete_outputs:
            for output in deleted.outputs:
                if output.asset_id:
                    await self._assets.delete(identity, output.asset_id)

    async def forget_output(self, event: AssetDeleted) -> None:
        """An output deleted from the assets (the gallery, the viewer): its generation lists only
        what can still be fetched, so the history never shows a file that is gone."""
        if event.generation_id:
            await self._repository.remove_output(event.user_id, event.generation_id, event.asset_id)

    async def delete_project_generations(self, event: ProjectDeleted) -> None:
        """A deleted project's generations are cancelled (a running worker notices and stops)
        and removed."""
        while batch := await self._repository.of_project(event.user_id, event.project_id):
            for record in batch:
                if record.active and await self._repository.mark_cancelled(record.id):
                    await self._events.cancelled(record)
                    metrics.finished(record, "cancelled")
                await self._repository.delete_by_id(record.id)
        log.info("project_generations.deleted", project_id=event.project_id)

    async def get(self, identity: Identity, generation_id: str) -> GenerationRecord:
        record = await self._repository.get(identity.user_id, generation_id)
        if record is None:
            raise not_yours("generation", generation_id)
        return record


def random_seed(seed_range: tuple[int, int]) -> int:
    """A seed the model takes: uniform over its range, both ends included."""
    lowest, highest = seed_range
    return lowest + secrets.randbelow(highest - lowest + 1)


async def _announce(publication: Awaitable[None], what: str, generation_id: str) -> None:
    """Publish an event about a change already stored; a failure is logged, not the caller's:
    the change holds, and only other open tabs miss it until they reload."""
    try:
        await publication
    except Exception as exc:
        log.warning(f"generation.{what}_unannounced", generation_id=generation_id, error=str(exc))


def refuse_unpublishable(prompt: str, params: dict[str, Any], input_asset_ids: list[str]) -> None:
    """PayloadTooLarge unless the request's fields fit the event that queues it (see
    MAX_REQUEST_FIELDS_BYTES): refused before it is stored, never accepted and stuck."""
    fields = {"prompt": prompt, "params": params, "input_asset_ids": input_asset_ids}
    size = len(json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode())
    if size > MAX_REQUEST_FIELDS_BYTES:
        raise PayloadTooLarge(
            f"The prompt and parameters take {size} bytes; at most "
            f"{MAX_REQUEST_FIELDS_BYTES} fit a generation request."
        )
