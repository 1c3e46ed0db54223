"""What the assets service does: take uploads, register generation outputs, delete.

Each operation either completes (object, thumbnail, record, event) or leaves nothing: a failure
part-way removes what was already written."""

import asyncio
import contextlib
import tempfile
from collections.abc import AsyncIterator, Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

import structlog
from studio_contracts.assets import AssetKind, OutputsRegistration
from studio_contracts.enums import MediaType
from studio_contracts.events import AssetCreated, AssetDeleted, OutputFile, ProjectDeleted
from studio_contracts.generations import output_asset_id
from studio_runtime.errors import DomainError, InvalidInput, PayloadTooLarge, UnsupportedMediaType
from studio_runtime.events import EventPublisher
from studio_runtime.ids import new_id
from studio_runtime.internal_auth import Identity
from studio_runtime.internal_http import ProjectsClient
from studio_storage import ObjectStore

from studio_assets import media
from studio_assets.images import BadImage, ImageFacts, inspect_image
from studio_assets.probe import probe_media
from studio_assets.repository import AssetDoc, AssetRepository
from studio_assets.settings import AssetsSettings
from studio_assets.uploads import MultipartFileStream, UploadRejected

log = structlog.get_logger(__name__)

OWN_THUMBNAIL_TYPES = frozenset({"image/png", "image/jpeg", "image/webp", "image/gif"})
"""Images in these types that fit the thumbnail size serve as their own thumbnail."""

_REJECTIONS: dict[int, type[DomainError]] = {
    413: PayloadTooLarge,
    415: UnsupportedMediaType,
    422: InvalidInput,
}


class AssetService:
    def __init__(
        self,
        repository: AssetRepository,
        store: ObjectStore,
        publisher: EventPublisher,
        projects: ProjectsClient,
        settings: AssetsSettings,
    ) -> None:
        self.repository = repository
        self.store = store
        self._publisher = publisher
        self._projects = projects
        self._settings = settings

    async def require_project(self, identity: Identity, project_id: str) -> None:
        await self._projects.require_project(identity, project_id)

    async def upload(
        self, identity: Identity, project_id: str, body: AsyncIterator[bytes], content_type: str
    ) -> AssetDoc:
        await self._projects.require_project(identity, project_id)
        try:
            stream = MultipartFileStream(
                body, content_type, max_bytes=self._settings.upload_max_bytes
            )
            file_type = await stream.start()
        except UploadRejected as exc:
            raise _rejection(exc) from exc
        asset_id = new_id()
        key = f"{identity.user_id}/{project_id}/uploads/{asset_id}.{file_type.extension}"
        written: list[str] = []
        try:
            try:
                await self.store.put(key, stream.chunks(), content_type=file_type.content_type)
            except UploadRejected as exc:
                raise _rejection(exc) from exc
            written.append(key)
            received = stream.received
            facts = (
                await self._image_facts(received.spool)
                if file_type.media_type == MediaType.IMAGE
                else None
            )
            timed = (
                await asyncio.to_thread(probe_media, received.spool)
                if file_type.media_type in (MediaType.VIDEO, MediaType.AUDIO)
                else None
            )
            thumbnail_key = await self._store_thumbnail(key, facts, written)
            doc = _record(
                asset_id=asset_id,
                owner=identity.user_id,
                project_id=project_id,
                kind=AssetKind.UPLOAD,
                file_type=file_type,
                size=received.size,
                sha256=received.sha256,
                name=received.filename or f"upload.{file_type.extension}",
                object_key=key,
                thumbnail_key=thumbnail_key,
                facts=facts,
                dedup_key=f"upload:{asset_id}",
                original_filename=received.filename,
                **(asdict(timed) if timed else {}),
            )
            await self.repository.insert(doc)
            try:
                await self._publish_created(doc, identity.request_id)
            except Exception:
                await self.repository.delete_by_id(asset_id)
                raise
        except BaseException:
            await self._remove_objects(written)
            raise
        finally:
            stream.received.spool.close()
        log.info(
            "asset.uploaded", asset_id=asset_id, size=doc["size"], content_type=doc["content_type"]
        )
        return doc

    async def register_outputs(
        self, identity: Identity, registration: OutputsRegistration
    ) -> list[AssetDoc]:
        """Record each output of a generation the worker is about to complete, thumbnails
        included, so that once it says `completed` every output is served. Registering the
        same outputs again (a job re-run after a crash) adds nothing."""
        docs = []
        for output in registration.outputs:
            asset_id = output.asset_id or output_asset_id(registration.generation_id, output.index)
            # Look before making a thumbnail (costly to make twice); otherwise the insert itself
            # finds a repeat on its unique key, one database round trip less.
            existing = (
                await self.repository.get(identity.user_id, asset_id)
                if self._needs_thumbnail(output)
                else None
            )
            if existing is None:
                existing = await self._register_output(identity, registration, asset_id, output)
            # Published again on a repeat on purpose: the first attempt may have died before
            # publishing; the deterministic event id makes the repeat harmless downstream.
            await self._announce(existing, identity.request_id)
            docs.append(existing)
        return docs

    async def _announce(self, doc: AssetDoc, request_id: str | None) -> None:
        """Publish `asset.created`; with the broker down, leave it to the announcer. The asset is
        stored and served either way, which is what the worker waits for."""
        try:
            await self._publish_created(doc, request_id)
        except Exception as exc:
            log.warning("asset.announce_deferred", asset_id=doc["_id"], error=str(exc))
            await self.repository.mark_unannounced(doc["_id"])

    async def announce_deferred(self) -> int:
        """Publish the `asset.created` events the broker refused earlier; returns how many."""
        pending = await self.repository.unannounced()
        for doc in pending:
            await self._publish_created(doc, None)
            await self.repository.mark_announced(doc["_id"])
        return len(pending)

    async def _register_output(
        self,
        identity: Identity,
        registration: OutputsRegistration,
        asset_id: str,
        output: OutputFile,
    ) -> AssetDoc:
        file_type = media.BY_CONTENT_TYPE.get(output.content_type) or media.FileType(
            output.media_type, output.content_type, output.object_key.rsplit(".", 1)[-1]
        )
        written: list[str] = []
        facts: ImageFacts | None = None
        thumbnail_key: str | None = None
        if self._is_own_thumbnail(output):
            # Small enough already, in a format browsers show: the image is its own thumbnail,
            # and nothing is decoded or encoded again (the worker reported its size).
            thumbnail_key = output.object_key
        elif file_type.media_type == MediaType.IMAGE:
            with tempfile.SpooledTemporaryFile(max_size=8 << 20) as spool:
                async for chunk in await self.store.get(output.object_key):
                    spool.write(chunk)
                spool.seek(0)
                try:
                    facts = await self._image_facts(spool)
                except InvalidInput as exc:
                    log.warning(
                        "output.thumbnail_failed",
                        generation_id=registration.generation_id,
                        error=exc.detail,
                    )
        thumbnail_key = thumbnail_key or await self._store_thumbnail(
            output.object_key, facts, written
        )
        doc = _record(
            asset_id=asset_id,
            owner=identity.user_id,
            project_id=registration.project_id,
            kind=AssetKind.OUTPUT,
            file_type=file_type,
            size=output.size,
            sha256=output.sha256,
            name=f"{registration.generation_id}-{output.index}.{file_type.extension}",
            object_key=output.object_key,
            thumbnail_key=thumbnail_key,
            facts=facts,
            dedup_key=f"output:{registration.generation_id}:{output.index}",
            generation_id=registration.generation_id,
            output_index=output.index,
            prompt=registration.prompt,
            width=output.width,
            height=output.height,
            duration=output.duration,
        )
        stored, created = await self.repository.insert(doc)
        if not created:
            await self._remove_objects(written)
        else:
            log.debug(
                "output.registered",
                asset_id=asset_id,
                generation_id=registration.generation_id,
                index=output.index,
            )
        return stored

    def _needs_thumbnail(self, output: OutputFile) -> bool:
        return output.media_type == MediaType.IMAGE and not self._is_own_thumbnail(output)

    def _is_own_thumbnail(self, output: OutputFile) -> bool:
        limit = self._settings.thumbnail_max_px
        return (
            output.content_type in OWN_THUMBNAIL_TYPES
            and output.width is not None
            and output.height is not None
            and max(output.width, output.height) <= limit
        )

    async def delete(self, identity: Identity, asset_id: str) -> bool:
        doc = await self.repository.delete(identity.user_id, asset_id)
        if doc is None:
            return False
        await self._remove_objects([doc["object_key"], doc.get("thumbnail_key")])
        await self._publish_deleted(doc, identity.request_id)
        log.info("asset.deleted", asset_id=asset_id)
        return True

    async def delete_project_assets(self, event: ProjectDeleted) -> None:
        """Remove every asset of a deleted project: objects, thumbnails, records."""
        while batch := await self.repository.of_project(event.user_id, event.project_id):
            for doc in batch:
                await self._remove_objects([doc["object_key"], doc.get("thumbnail_key")])
                await self.repository.delete_by_id(doc["_id"])
                await self._publish_deleted(doc, event.request_id)
        log.info("project_assets.deleted", project_id=event.project_id)

    async def _image_facts(self, source: Any) -> ImageFacts:
        try:
            return await asyncio.to_thread(
                inspect_image,
                source,
                max_pixels=self._settings.max_image_pixels,
                max_px=self._settings.thumbnail_max_px,
            )
        except BadImage as exc:
            raise InvalidInput(str(exc)) from exc

    async def _store_thumbnail(
        self, key: str, facts: ImageFacts | None, written: list[str]
    ) -> str | None:
        if facts is None:
            return None
        thumbnail_key = key.rsplit(".", 1)[0] + ".thumb.webp"
        await self.store.put_bytes(thumbnail_key, facts.thumbnail, content_type="image/webp")
        written.append(thumbnail_key)
        return thumbnail_key

    async def _remove_objects(self, keys: Sequence[str | None]) -> None:
        for key in keys:
            if key:
                with contextlib.suppress(Exception):
                    await self.store.delete(key)

    async def _publish_created(self, doc: AssetDoc, request_id: str | None) -> None:
        await self._publisher.publish(
            AssetCreated(
                event_id=f"{doc['_id']}.created",
                user_id=doc["owner"],
                request_id=request_id,
                asset_id=doc["_id"],
                project_id=doc["project_id"],
                media_type=doc["media_type"],
                kind=doc["kind"],
                generation_id=doc.get("generation_id"),
                output_index=doc.get("output_index"),
            )
        )

    async def _publish_deleted(self, doc: AssetDoc, request_id: str | None) -> None:
        await self._publisher.publish(
            AssetDeleted(
                event_id=f"{doc['_id']}.deleted",
                user_id=doc["owner"],
                request_id=request_id,
                asset_id=doc["_id"],
                project_id=doc["project_id"],
            )
        )


def _rejection(exc: UploadRejected) -> DomainError:
    return _REJECTIONS.get(exc.status, InvalidInput)(exc.detail)


def _record(
    *,
    asset_id: str,
    owner: str,
    project_id: str,
    kind: AssetKind,
    file_type: media.FileType,
    size: int,
    sha256: str,
    name: str,
    object_key: str,
    thumbnail_key: str | None,
    facts: ImageFacts | None,
    dedup_key: str,
    **extra: Any,
) -> AssetDoc:
    doc: AssetDoc = {
        "_id": asset_id,
        "owner": owner,
        "project_id": project_id,
        "kind": kind.value,
        "media_type": file_type.media_type.value,
        "content_type": file_type.content_type,
        "size": size,
        "sha256": sha256,
        "name": name,
        "tags": [],
        "favorite": False,
        "created_at": datetime.now(UTC),
        "object_key": object_key,
        "dedup_key": dedup_key,
    }
    if thumbnail_key:
        doc["thumbnail_key"] = thumbnail_key
    if facts is not None:
        extra.setdefault("width", facts.width)
        extra.setdefault("height", facts.height)
        extra["width"] = extra["width"] or facts.width
        extra["height"] = extra["height"] or facts.height
    # Absent rather than null: the embedded MongoDB-wire server treats null as missing.
    doc.update({k: v for k, v in extra.items() if v is not None})
    return doc
