"""What the generation API does: accept a request (validated, stored, queued), and the user's
actions on generations (cancel, retry, delete). The worker's side is in `worker.py`."""

import asyncio
import json
import secrets
from datetime import UTC, datetime
from typing import Any

import structlog
from pydantic import ValidationError
from studio_contracts.enums import GenerationStatus
from studio_contracts.events import ProjectDeleted
from studio_contracts.generations import GenerationCreate
from studio_contracts.problems import FieldError
from studio_runtime.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    PayloadTooLarge,
    TooManyRequests,
)
from studio_runtime.ids import new_id
from studio_runtime.internal_auth import Identity

from studio_generation.cancels import CancelBroadcaster
from studio_generation.clients import AssetsClient, CatalogClient
from studio_generation.events import GenerationEvents
from studio_generation.inputs import bind_inputs
from studio_generation.projects_cache import CachedProjects
from studio_generation.repository import ACTIVE, Doc, GenerationRepository, now_ms
from studio_generation.settings import GenerationSettings

log = structlog.get_logger(__name__)

MAX_SEED = 2**31 - 1
IDEMPOTENCY_WAIT_S = 10.0
ACTIVE_LIMIT_RETRY_S = 10.0
MAX_REQUEST_FIELDS_BYTES = 512 * 1024
"""The most the caller's fields (prompt, parameters with defaults, input ids) may take in the
`generation.requested` event. NATS refuses a message over its max payload (1 MiB by default),
and a generation stored but never queued would stay pending for ever; the rest of the event is
a few hundred bytes. Request bodies are capped lower (256 KiB), so this only holds the line
should a default or a cap grow."""


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
        self.repository = repository
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
    ) -> Doc:
        """Store a new pending generation and queue it, or, for a repeated Idempotency-Key,
        return the generation the key first made."""
        generation_id = new_id()
        if idempotency_key is not None:
            existing = await self._reserve_key(identity.user_id, idempotency_key, generation_id)
            if existing is not None:
                return existing
        try:
            return await self._accept(identity, project_id, body, generation_id)
        except BaseException:
            if idempotency_key is not None:
                await self.repository.release_idempotency_key(
                    identity.user_id, idempotency_key, generation_id
                )
            raise

    async def _reserve_key(self, owner: str, key: str, generation_id: str) -> Doc | None:
        deadline = asyncio.get_running_loop().time() + IDEMPOTENCY_WAIT_S
        while asyncio.get_running_loop().time() < deadline:
            holder = await self.repository.claim_idempotency_key(owner, key, generation_id)
            if holder is None:
                return None
            if holder and now_ms() - holder["created_ms"] > self._settings.idempotency_ttl_s * 1000:
                await self.repository.drop_idempotency_key(owner, key)
                continue
            if holder:
                existing = await self.repository.get(owner, holder["generation_id"])
                if existing is not None:
                    return existing
            # The first request with this key is still being accepted (or just failed and
            # released it): wait for its record, or for the key to come free.
            await asyncio.sleep(0.05)
        raise Conflict("a request with this Idempotency-Key is still being processed; try again")

    async def _accept(
        self, identity: Identity, project_id: str, body: GenerationCreate, generation_id: str
    ) -> Doc:
        params = dict(body.params)
        if body.prompt:
            params["prompt"] = body.prompt
        _, validated, assets = await asyncio.gather(
            self._projects.require_project(identity, project_id),
            self._catalog.validate(identity, body.model_id, body.type, params),
            asyncio.gather(
                *(self._assets.get(identity, asset_id) for asset_id in body.input_asset_ids)
            ),
        )
        bindings, errors = bind_inputs(body.type, list(assets), validated.media_params)
        if errors:
            raise InvalidInput("; ".join(e.msg for e in errors), errors=errors)
        final = dict(validated.params)
        if "seed" in validated.accepted and final.get("seed") is None:
            final["seed"] = secrets.randbelow(MAX_SEED)
        refuse_unpublishable(body.prompt, final, body.input_asset_ids)
        doc: Doc = {
            "_id": generation_id,
            "owner": identity.user_id,
            "project_id": project_id,
            "type": body.type.value,
            "model_id": body.model_id,
            "runtime": validated.runtime,
            "output": validated.output.value,
            "prompt": body.prompt,
            "params": final,
            "input_asset_ids": list(body.input_asset_ids),
            "input_bindings": bindings,
            "status": GenerationStatus.PENDING.value,
            "attempts": 0,
            "created_ms": now_ms(),
            "published": False,
            "request_id": identity.request_id,
        }
        await self.repository.insert(doc)
        await self._take_active_slot(doc)
        await self.publish_requested(doc)
        log.info("generation.accepted", generation_id=generation_id, model_id=body.model_id)
        return doc

    async def _take_active_slot(self, doc: Doc) -> None:
        """Count the stored generation against its owner's active limit, atomically, or
        withdraw it and refuse: a burst of requests cannot overrun the limit."""
        owner, limit = doc["owner"], self._settings.max_active_per_user
        if await self.repository.reserve_active(owner, limit):
            return
        # Full, says the counter; the records may say otherwise after a crash.
        await self.repository.recount_active(owner, limit + 1, uncounted=1)
        if await self.repository.reserve_active(owner, limit):
            return
        await self.repository.withdraw(doc["_id"])
        raise TooManyRequests(
            f"You have {limit} generations queued or running, the most allowed at once; "
            "wait for some to finish (or cancel some), then try again.",
            retry_after_s=ACTIVE_LIMIT_RETRY_S,
        )

    async def publish_requested(self, doc: Doc) -> None:
        """Queue the generation. If the broker is down the record stays unpublished and the
        relay queues it later: an accepted generation is never lost."""
        try:
            await self._events.requested(doc)
        except Exception as exc:
            log.warning("generation.publish_deferred", generation_id=doc["_id"], error=str(exc))
            return
        await self.repository.mark_published(doc["_id"])
        doc["published"] = True

    async def requeue(self, doc: Doc) -> None:
        """Queue a generation whose job NATS no longer holds (its worker died too often)."""
        await self._events.requested(doc, requeue=True)

    async def cancel(self, identity: Identity, generation_id: str) -> Doc:
        doc = await self.repository.cancel_pending(identity.user_id, generation_id)
        if doc is not None:
            await self._events.cancelled(doc)
            return doc
        doc = await self.repository.request_cancel(identity.user_id, generation_id)
        if doc is not None:
            # The worker holding the job hears this at once, cancels at the provider and ends
            # the generation cancelled.
            await self._cancels.announce(generation_id)
            return doc
        doc = await self._get(identity, generation_id)
        raise Conflict(f"the generation is already {doc['status']}")

    async def retry(self, identity: Identity, generation_id: str, *, reroll_seed: bool) -> Doc:
        original = await self._get(identity, generation_id)
        params = {k: v for k, v in original["params"].items() if k != "prompt"}
        if reroll_seed:
            params.pop("seed", None)
        try:
            body = GenerationCreate(
                type=original["type"],
                model_id=original["model_id"],
                prompt=original["prompt"],
                params=params,
                input_asset_ids=original["input_asset_ids"],
            )
        except ValidationError as exc:
            # Stored before its ids had to be canonical (`local/./image`): not repeated as is.
            raise Conflict(
                "this generation's request is no longer accepted (its model or input ids are "
                "not in canonical form); request it anew"
            ) from exc
        return await self._accept(identity, original["project_id"], body, new_id())

    async def delete(self, identity: Identity, generation_id: str, *, delete_outputs: bool) -> None:
        doc = await self.repository.delete(identity.user_id, generation_id)
        if doc is None:
            existing = await self._get(identity, generation_id)
            raise Conflict(f"the generation is {existing['status']}; cancel it before deleting it")
        if delete_outputs:
            for output in doc.get("outputs", []):
                await self._assets.delete(identity, output["asset_id"])

    async def delete_project_generations(self, event: ProjectDeleted) -> None:
        """A deleted project's generations are cancelled (a running worker notices and stops)
        and removed."""
        while batch := await self.repository.of_project(event.user_id, event.project_id):
            for doc in batch:
                if doc["status"] in ACTIVE and await self.repository.mark_cancelled(doc["_id"]):
                    await self._events.cancelled(doc)
                await self.repository.delete_by_id(doc["_id"])
        log.info("project_generations.deleted", project_id=event.project_id)

    async def get(self, identity: Identity, generation_id: str) -> Doc:
        return await self._get(identity, generation_id)

    async def _get(self, identity: Identity, generation_id: str) -> Doc:
        doc = await self.repository.get(identity.user_id, generation_id)
        if doc is None:
            raise NotFound(f"no generation {generation_id!r}")
        return doc


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


def idempotency_key_error(key: str) -> InvalidInput | None:
    if 1 <= len(key) <= 200 and key.isprintable():
        return None
    return InvalidInput(
        "Idempotency-Key must be 1-200 printable characters",
        errors=[
            FieldError(loc=["header", "idempotency-key"], msg="invalid key", type="idempotency_key")
        ],
    )


def public_fields(doc: Doc) -> dict[str, Any]:
    """The record as the public `Generation` DTO reads it."""

    def at(ms: int | None) -> datetime | None:
        return None if not ms else datetime.fromtimestamp(ms / 1000, UTC)

    progress = doc.get("progress")
    return {
        "id": doc["_id"],
        "project_id": doc["project_id"],
        "type": doc["type"],
        "model_id": doc["model_id"],
        "prompt": doc["prompt"],
        "params": doc["params"],
        "input_asset_ids": doc["input_asset_ids"],
        "status": doc["status"],
        "progress": progress if doc["status"] == GenerationStatus.PROCESSING.value else None,
        "error": doc.get("error"),
        "outputs": doc.get("outputs", []),
        "created_at": at(doc["created_ms"]),
        "started_at": at(doc.get("started_ms")),
        "completed_at": at(doc.get("completed_ms")),
        "attempts": doc.get("attempts", 0),
    }
