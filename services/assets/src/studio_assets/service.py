"""What the assets service does: take uploads, register generation outputs, delete.

Each operation either completes (object, thumbnail, record, event) or leaves nothing: a failure
part-way removes what was already written."""

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

import structlog
from studio_contracts.assets import Asset, AssetKind, AssetUpdate, OutputsRegistration
from studio_contracts.dtos import CursorPage
from studio_contracts.enums import MediaType
from studio_contracts.events import OutputFile, ProjectDeleted
from studio_contracts.generations import output_asset_id
from studio_runtime.clients import ProjectsClient
from studio_runtime.clock import now_ms
from studio_runtime.errors import (
    DomainError,
    InvalidInput,
    NotFound,
    PayloadTooLarge,
    UnsupportedMediaType,
    not_yours,
)
from studio_runtime.ids import new_id
from studio_runtime.internal_auth import Identity
from studio_runtime.pagination import split_page
from studio_storage import ObjectStore

from studio_assets import media, metrics
from studio_assets.events import AssetEvents
from studio_assets.images import ImageFacts
from studio_assets.names import output_name
from studio_assets.probe import MediaFacts, probe_media
from studio_assets.repository import AssetRecord, AssetRepository
from studio_assets.settings import AssetsSettings
from studio_assets.thumbnails import Thumbnails
from studio_assets.uploads import MultipartFileStream, ReceivedFile, UploadRejected

log = structlog.get_logger(__name__)

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
        events: AssetEvents,
        projects: ProjectsClient,
        settings: AssetsSettings,
    ) -> None:
        self._repository = repository
        self._store = store
        self._events = events
        self._projects = projects
        self._settings = settings
        self._thumbnails = Thumbnails(
            store,
            max_pixels=settings.max_image_pixels,
            max_px=settings.thumbnail_max_px,
            decodes=settings.image_decodes,
        )

    async def require_project(self, identity: Identity, project_id: str) -> None:
        await self._projects.require_project(identity, project_id)

    async def get(self, owner: str, asset_id: str) -> Asset:
        return (await self._owned(owner, asset_id)).public()

    async def list_page(
        self,
        owner: str,
        *,
        project_id: str | None,
        media_type: MediaType | None,
        kind: AssetKind | None,
        favorite: bool | None,
        q: str | None,
        cursor: str | None,
        limit: int,
    ) -> CursorPage[Asset]:
        records = await self._repository.find_page(
            owner,
            project_id=project_id,
            media_type=media_type,
            kind=kind,
            favorite=favorite,
            q=q,
            cursor=cursor,
            limit=limit,
        )
        page, next_cursor = split_page(records, limit, lambda record: record.id)
        return CursorPage[Asset](
            items=[record.public() for record in page], next_cursor=next_cursor
        )

    async def update(self, identity: Identity, asset_id: str, changes: AssetUpdate) -> Asset:
        fields = sorted(changes.model_dump(exclude_none=True))
        if not fields:
            return await self.get(identity.user_id, asset_id)
        record = await self._repository.update(identity.user_id, asset_id, changes)
        if record is None:
            raise _not_found(asset_id)
        try:
            await self._events.publish_updated(record, fields, identity.request_id)
        except Exception as exc:
            # The change is stored and answered: other tabs show it when they next load it.
            log.warning("asset.update_not_announced", asset_id=asset_id, error=str(exc))
        return record.public()

    async def upload(
        self, identity: Identity, project_id: str, body: AsyncIterator[bytes], content_type: str
    ) -> Asset:
        started = time.perf_counter()
        try:
            asset = await self._upload(identity, project_id, body, content_type)
        except BaseException:
            metrics.UPLOAD_SECONDS.labels("refused").observe(time.perf_counter() - started)
            raise
        metrics.UPLOAD_SECONDS.labels("stored").observe(time.perf_counter() - started)
        metrics.BYTES_STORED.labels(AssetKind.UPLOAD.value).inc(asset.size)
        return asset

    async def _upload(
        self, identity: Identity, project_id: str, body: AsyncIterator[bytes], content_type: str
    ) -> Asset:
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
                await self._store.put(key, stream.chunks(), content_type=file_type.content_type)
            except UploadRejected as exc:
                raise _rejection(exc) from exc
            written.append(key)
            record = await self._upload_record(
                identity.user_id, project_id, asset_id, key, file_type, stream.received, written
            )
            await self._repository.insert(record)
            try:
                await self._events.publish_created(record, identity.request_id)
            except Exception:
                await self._repository.delete_by_id(asset_id)
                raise
        except BaseException:
            await self._remove_objects(written)
            raise
        finally:
            stream.received.spool.close()
        log.info(
            "asset.uploaded",
            asset_id=asset_id,
            size=record.size,
            content_type=file_type.content_type,
        )
        return record.public()

    async def _upload_record(
        self,
        owner: str,
        project_id: str,
        asset_id: str,
        key: str,
        file_type: media.FileType,
        received: ReceivedFile,
        written: list[str],
    ) -> AssetRecord:
        """The record of a stored upload, with what its content tells (an image's thumbnail, or
        a video's poster, is made here)."""
        kind = file_type.media_type
        facts: ImageFacts | None = None
        waveform: list[int] | None = None
        if kind == MediaType.IMAGE:
            facts = await self._thumbnails.inspect(received.spool, whole_file=True)
        elif kind == MediaType.VIDEO:
            facts = await self._thumbnails.poster(received.spool)
        elif kind == MediaType.AUDIO:
            waveform = await self._thumbnails.waveform(received.spool)
        timed = (
            await asyncio.to_thread(probe_media, received.spool)
            if kind in (MediaType.VIDEO, MediaType.AUDIO)
            else None
        )
        return _record(
            asset_id=asset_id,
            owner=owner,
            project_id=project_id,
            kind=AssetKind.UPLOAD,
            file_type=file_type,
            size=received.size,
            sha256=received.sha256,
            name=received.filename or f"upload.{file_type.extension}",
            object_key=key,
            thumbnail_key=await self._store_thumbnail(key, facts, written),
            facts=facts,
            dedup_key=f"upload:{asset_id}",
            original_filename=received.filename,
            width=timed.width if timed else None,
            height=timed.height if timed else None,
            duration=timed.duration if timed else None,
            codec=timed.codec if timed else None,
            waveform=waveform,
        )

    async def register_outputs(
        self, identity: Identity, registration: OutputsRegistration
    ) -> list[Asset]:
        """Record each output of a generation the worker is about to complete, thumbnails
        included, so that once it says `completed` every output is served. Registering the
        same outputs again (a job re-run after a crash) adds nothing."""
        # The keys must be where the worker writes this generation's outputs: a caller cannot
        # have another user's (or another project's) objects registered as its own.
        prefix = f"{identity.user_id}/{registration.project_id}/{registration.generation_id}/"
        if any(not output.object_key.startswith(prefix) for output in registration.outputs):
            raise InvalidInput("an output's object key is outside this generation's folder")
        assets = []
        for output in registration.outputs:
            asset_id = output.asset_id or output_asset_id(registration.generation_id, output.index)
            # Look before making a thumbnail (costly to make twice); otherwise the insert itself
            # finds a repeat on its unique key, one database round trip less.
            existing = (
                await self._repository.get(identity.user_id, asset_id)
                if output.media_type == MediaType.IMAGE and not self._thumbnails.is_own(output)
                else None
            )
            if existing is None:
                existing = await self._register_output(identity, registration, asset_id, output)
                metrics.BYTES_STORED.labels(AssetKind.OUTPUT.value).inc(output.size)
            # Published again on a repeat on purpose: the first attempt may have died before
            # publishing; the deterministic event id makes the repeat harmless downstream.
            await self._announce(existing, identity.request_id)
            assets.append(existing.public())
        return assets

    async def _announce(self, record: AssetRecord, request_id: str | None) -> None:
        """Publish `asset.created`; with the broker down, leave it to the announcer. The asset is
        stored and served either way, which is what the worker waits for."""
        try:
            await self._events.publish_created(record, request_id)
        except Exception as exc:
            log.warning("asset.announce_deferred", asset_id=record.id, error=str(exc))
            await self._repository.mark_unannounced(record.id)

    async def announce_deferred(self) -> int:
        """Publish the `asset.created` events the broker refused earlier; returns how many."""
        pending = await self._repository.unannounced()
        for record in pending:
            await self._events.publish_created(record, None)
            await self._repository.mark_announced(record.id)
        return len(pending)

    async def _register_output(
        self,
        identity: Identity,
        registration: OutputsRegistration,
        asset_id: str,
        output: OutputFile,
    ) -> AssetRecord:
        file_type = media.BY_CONTENT_TYPE.get(output.content_type) or media.FileType(
            output.media_type, output.content_type, output.object_key.rsplit(".", 1)[-1]
        )
        written: list[str] = []
        found = await self._inspect_output(registration, output, written)
        timed = found.timed
        record = _record(
            asset_id=asset_id,
            owner=identity.user_id,
            project_id=registration.project_id,
            kind=AssetKind.OUTPUT,
            file_type=file_type,
            size=output.size,
            sha256=output.sha256,
            name=output_name(
                registration.prompt,
                registration.generation_id,
                output.index,
                file_type.extension,
                made_from=registration.made_from,
            ),
            object_key=output.object_key,
            thumbnail_key=found.thumbnail_key,
            facts=found.facts,
            dedup_key=f"output:{registration.generation_id}:{output.index}",
            generation_id=registration.generation_id,
            output_index=output.index,
            prompt=registration.prompt,
            # What the provider said, else what the file's headers say (when it was read).
            width=output.width or (timed.width if timed else None),
            height=output.height or (timed.height if timed else None),
            duration=output.duration or (timed.duration if timed else None),
            codec=timed.codec if timed else None,
            waveform=found.waveform,
        )
        stored, created = await self._repository.insert(record)
        if not created:
            # Another registration of these outputs stored the asset first (a job run twice at
            # once). Its thumbnail has the same key as this one's: it stays.
            kept = {stored.object_key, stored.thumbnail_key}
            await self._remove_objects([key for key in written if key not in kept])
        else:
            log.debug(
                "output.registered",
                asset_id=asset_id,
                generation_id=registration.generation_id,
                index=output.index,
            )
        return stored

    async def _inspect_output(
        self, registration: OutputsRegistration, output: OutputFile, written: list[str]
    ) -> "_OutputFound":
        """What an output's content tells: an image's or a video's preview, a sound's waveform,
        and a video's or sound's facts from its headers when the provider did not give its
        duration (fal's files come without one). Each is read once; images are not probed."""
        if self._thumbnails.is_own(output):
            return _OutputFound(thumbnail_key=output.object_key)
        probe = output.duration is None
        if output.media_type == MediaType.VIDEO:
            poster, timed = await self._thumbnails.poster_stored(output.object_key, probe=probe)
            thumbnail_key = await self._store_thumbnail(output.object_key, poster, written)
            return _OutputFound(facts=poster, thumbnail_key=thumbnail_key, timed=timed)
        if output.media_type == MediaType.AUDIO:
            waveform, timed = await self._thumbnails.waveform_stored(output.object_key, probe=probe)
            return _OutputFound(waveform=waveform, timed=timed)
        if output.media_type != MediaType.IMAGE:
            return _OutputFound()
        try:
            facts = await self._thumbnails.inspect_stored(output.object_key)
        except InvalidInput as exc:
            log.warning(
                "output.thumbnail_failed",
                generation_id=registration.generation_id,
                error=exc.detail,
            )
            return _OutputFound()
        thumbnail_key = await self._store_thumbnail(output.object_key, facts, written)
        return _OutputFound(facts=facts, thumbnail_key=thumbnail_key)

    async def delete(self, identity: Identity, asset_id: str) -> None:
        record = await self._repository.delete(identity.user_id, asset_id)
        if record is None:
            raise _not_found(asset_id)
        await self._remove_objects([record.object_key, record.thumbnail_key])
        await self._events.publish_deleted(record, identity.request_id)
        log.info("asset.deleted", asset_id=asset_id)

    async def delete_project_assets(self, event: ProjectDeleted) -> None:
        """Remove every asset of a deleted project: objects, thumbnails, records."""
        while batch := await self._repository.of_project(event.user_id, event.project_id):
            for record in batch:
                await self._remove_objects([record.object_key, record.thumbnail_key])
                await self._repository.delete_by_id(record.id)
                await self._events.publish_deleted(record, event.request_id)
        log.info("project_assets.deleted", project_id=event.project_id)

    async def _store_thumbnail(
        self, key: str, facts: ImageFacts | None, written: list[str]
    ) -> str | None:
        if facts is None:
            return None
        thumbnail_key = await self._thumbnails.put(key, facts)
        written.append(thumbnail_key)
        return thumbnail_key

    async def _remove_objects(self, keys: Sequence[str | None]) -> None:
        for key in keys:
            if key:
                with contextlib.suppress(Exception):
                    await self._store.delete(key)

    async def _owned(self, owner: str, asset_id: str) -> AssetRecord:
        record = await self._repository.get(owner, asset_id)
        if record is None:
            raise _not_found(asset_id)
        return record


@dataclass(frozen=True)
class _OutputFound:
    """What registering an output found in its content (each None when there is none)."""

    facts: ImageFacts | None = None
    """What decoding the image (or the video's first frame) found."""
    thumbnail_key: str | None = None
    waveform: list[int] | None = None
    timed: MediaFacts | None = None
    """A video's or sound's facts from its headers, read when the provider gave no duration."""


def _rejection(exc: UploadRejected) -> DomainError:
    return _REJECTIONS.get(exc.status, InvalidInput)(exc.detail)


def _not_found(asset_id: str) -> NotFound:
    return not_yours("asset", asset_id)


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
    width: int | None = None,
    height: int | None = None,
    duration: float | None = None,
    codec: str | None = None,
    waveform: list[int] | None = None,
    original_filename: str | None = None,
    generation_id: str | None = None,
    output_index: int | None = None,
    prompt: str | None = None,
) -> AssetRecord:
    return AssetRecord(
        id=asset_id,
        owner=owner,
        project_id=project_id,
        kind=kind,
        media_type=file_type.media_type,
        content_type=file_type.content_type,
        size=size,
        sha256=sha256,
        name=name,
        object_key=object_key,
        dedup_key=dedup_key,
        created_ms=now_ms(),
        thumbnail_key=thumbnail_key or None,
        # What the worker or the container's headers said, else what decoding the image found.
        width=width or (facts.width if facts else None),
        height=height or (facts.height if facts else None),
        duration=duration,
        codec=codec,
        waveform=waveform,
        original_filename=original_filename,
        generation_id=generation_id,
        output_index=output_index,
        prompt=prompt,
    )
