"""The assets service's internal HTTP API (exposed by the gateway under the same paths)."""

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import RedirectResponse, StreamingResponse
from studio_contracts.assets import Asset, AssetKind, AssetUpdate
from studio_contracts.dtos import CursorPage
from studio_contracts.enums import MediaType
from studio_runtime.deps import CurrentIdentity
from studio_runtime.errors import NotFound, PayloadTooLarge, problem_response
from studio_runtime.ids import ID_PATTERN
from studio_runtime.pagination import split_page
from studio_storage import ObjectNotFound

from studio_assets.downloads import (
    RangeNotSatisfiable,
    content_disposition,
    etag_for,
    etag_matches,
    parse_range,
)
from studio_assets.repository import AssetDoc
from studio_assets.service import AssetService

router = APIRouter(prefix="/api/v1", tags=["assets"])

Limit = Annotated[int, Query(ge=1, le=100)]
Cursor = Annotated[str | None, Query(max_length=64)]
SearchText = Annotated[str | None, Query(max_length=200)]


def _service(request: Request) -> AssetService:
    service: AssetService = request.app.state.assets
    return service


# The body is read as a stream (never held whole), so FastAPI cannot infer it: declared here.
UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": "An image (PNG, JPEG, WebP, GIF), video (MP4, "
                            "WebM, MOV) or audio (WAV, MP3, OGG, FLAC) file; the type is "
                            "read from its content, not its name",
                        }
                    },
                }
            }
        },
    }
}
BINARY = {"content": {"*/*": {"schema": {"type": "string", "format": "binary"}}}}


@router.post(
    "/projects/{project_id}/assets",
    status_code=201,
    response_model=Asset,
    openapi_extra=UPLOAD_BODY,
    responses={
        404: {"description": "No such project"},
        413: {"description": "The file is over the size limit"},
        415: {"description": "Not a multipart form, or not an accepted media type"},
        422: {"description": "No `file` field, or an undecodable image"},
    },
)
async def upload_asset(request: Request, project_id: str, identity: CurrentIdentity) -> Asset:
    content_length = request.headers.get("content-length")
    limit = request.app.state.settings.upload_max_bytes
    # Refuse an announced oversize body before reading it (64 KiB allows for the form's framing).
    if content_length and content_length.isdigit() and int(content_length) > limit + 65536:
        raise PayloadTooLarge(f"the file is larger than the {limit:,}-byte limit")
    doc = await _service(request).upload(
        identity, project_id, request.stream(), request.headers.get("content-type", "")
    )
    return to_public(doc)


@dataclass
class AssetQuery:
    """The filters and paging both asset lists take."""

    media_type: MediaType | None = None
    kind: AssetKind | None = None
    favorite: bool | None = None
    q: SearchText = None
    limit: Limit = 50
    cursor: Cursor = None


AssetQueryParams = Annotated[AssetQuery, Depends()]


@router.get("/projects/{project_id}/assets", response_model=CursorPage[Asset])
async def list_project_assets(
    request: Request, project_id: str, identity: CurrentIdentity, query: AssetQueryParams
) -> CursorPage[Asset]:
    service = _service(request)
    await service.require_project(identity, project_id)
    return await _page(service, identity.user_id, query, project_id)


@router.get("/assets", response_model=CursorPage[Asset])
async def list_assets(
    request: Request,
    identity: CurrentIdentity,
    query: AssetQueryParams,
    project_id: Annotated[str | None, Query(pattern=ID_PATTERN)] = None,
) -> CursorPage[Asset]:
    return await _page(_service(request), identity.user_id, query, project_id)


@router.get("/assets/{asset_id}", response_model=Asset)
async def get_asset(request: Request, asset_id: str, identity: CurrentIdentity) -> Asset:
    return to_public(await _owned(request, identity.user_id, asset_id))


@router.patch("/assets/{asset_id}", response_model=Asset)
async def update_asset(
    request: Request, asset_id: str, body: AssetUpdate, identity: CurrentIdentity
) -> Asset:
    changes = body.model_dump(exclude_none=True)
    if not changes:
        return to_public(await _owned(request, identity.user_id, asset_id))
    doc = await _service(request).repository.update(identity.user_id, asset_id, changes)
    if doc is None:
        raise _not_found(asset_id)
    return to_public(doc)


@router.delete("/assets/{asset_id}", status_code=204)
async def delete_asset(request: Request, asset_id: str, identity: CurrentIdentity) -> Response:
    if not await _service(request).delete(identity, asset_id):
        raise _not_found(asset_id)
    return Response(status_code=204)


@router.get(
    "/assets/{asset_id}/content",
    response_class=Response,
    responses={
        200: {"description": "The file, with its own content type", **BINARY},
        206: {"description": "The requested byte range", **BINARY},
        304: {"description": "Not modified (If-None-Match)"},
        307: {"description": "With `redirect=true`: to a presigned storage URL"},
        404: {"description": "No such asset"},
        416: {"description": "The range is outside the file"},
    },
)
async def download_asset(
    request: Request,
    asset_id: str,
    identity: CurrentIdentity,
    download: bool = False,
    redirect: bool = False,
) -> Response:
    doc = await _owned(request, identity.user_id, asset_id)
    disposition = content_disposition(doc["name"], download=download)
    store = _service(request).store
    if redirect:
        url = await store.presigned_get_url(
            doc["object_key"],
            expires_s=request.app.state.settings.presign_expiry_s,
            response_content_disposition=disposition,
        )
        if url is not None:
            return RedirectResponse(url, status_code=307)
    return await _stream_object(
        request,
        doc["object_key"],
        doc["content_type"],
        doc["size"],
        etag_for(doc["sha256"]),
        disposition,
    )


@router.get(
    "/assets/{asset_id}/thumbnail",
    response_class=Response,
    responses={
        200: {
            "description": "A WebP thumbnail (an image no larger than a thumbnail is its own)",
            "content": {"image/webp": {"schema": {"type": "string", "format": "binary"}}},
        },
        304: {"description": "Not modified (If-None-Match)"},
        404: {"description": "No such asset, or it has no thumbnail"},
    },
)
async def asset_thumbnail(request: Request, asset_id: str, identity: CurrentIdentity) -> Response:
    doc = await _owned(request, identity.user_id, asset_id)
    key = doc.get("thumbnail_key")
    if not key:
        raise NotFound(f"asset {asset_id!r} has no thumbnail")
    if key == doc["object_key"]:  # a small image is its own thumbnail
        return await _stream_object(
            request, key, doc["content_type"], doc["size"], etag_for(doc["sha256"]), "inline"
        )
    store = _service(request).store
    try:
        info = await store.stat(key)
    except ObjectNotFound as exc:
        raise NotFound(f"asset {asset_id!r} has no thumbnail") from exc
    return await _stream_object(
        request, key, "image/webp", info.size, etag_for(doc["sha256"] + "t"), "inline"
    )


async def _stream_object(
    request: Request, key: str, content_type: str, size: int, etag: str, disposition: str
) -> Response:
    headers = {
        "ETag": etag,
        "Accept-Ranges": "bytes",
        "Content-Disposition": disposition,
        "Cache-Control": "private, max-age=3600",
    }
    if etag_matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    try:
        byte_range = parse_range(request.headers.get("range"), size)
    except RangeNotSatisfiable:
        return problem_response(
            416,
            f"the range is outside the file's {size} bytes",
            code="range-not-satisfiable",
            headers={"Content-Range": f"bytes */{size}"},
        )
    store = _service(request).store
    offset, length, status = (
        (0, size, 200) if byte_range is None else (byte_range.start, byte_range.length, 206)
    )
    try:
        chunks = await store.get(key, offset=offset, length=length)
    except ObjectNotFound as exc:
        raise NotFound("the file's bytes are missing from storage") from exc
    headers["Content-Length"] = str(length)
    if byte_range is not None:
        headers["Content-Range"] = f"bytes {byte_range.start}-{byte_range.end}/{size}"
    return StreamingResponse(chunks, status_code=status, media_type=content_type, headers=headers)


async def _page(
    service: AssetService, owner: str, query: AssetQuery, project_id: str | None
) -> CursorPage[Asset]:
    docs = await service.repository.find_page(
        owner,
        project_id=project_id,
        media_type=query.media_type,
        kind=query.kind,
        favorite=query.favorite,
        q=query.q,
        cursor=query.cursor,
        limit=query.limit,
    )
    page, next_cursor = split_page(docs, query.limit, lambda doc: doc["_id"])
    return CursorPage[Asset](items=[to_public(doc) for doc in page], next_cursor=next_cursor)


async def _owned(request: Request, owner: str, asset_id: str) -> AssetDoc:
    doc = await _service(request).repository.get(owner, asset_id)
    if doc is None:
        raise _not_found(asset_id)
    return doc


def _not_found(asset_id: str) -> NotFound:
    return NotFound(f"no asset {asset_id!r}")


def to_public(doc: AssetDoc) -> Asset:
    asset_id = doc["_id"]
    return Asset(
        id=asset_id,
        project_id=doc["project_id"],
        kind=doc["kind"],
        media_type=doc["media_type"],
        content_type=doc["content_type"],
        size=doc["size"],
        sha256=doc["sha256"],
        name=doc["name"],
        original_filename=doc.get("original_filename"),
        width=doc.get("width"),
        height=doc.get("height"),
        duration=doc.get("duration"),
        generation_id=doc.get("generation_id"),
        output_index=doc.get("output_index"),
        prompt=doc.get("prompt"),
        tags=doc.get("tags", []),
        favorite=doc.get("favorite", False),
        created_at=doc["created_at"],
        content_url=f"/api/v1/assets/{asset_id}/content",
        thumbnail_url=f"/api/v1/assets/{asset_id}/thumbnail" if doc.get("thumbnail_key") else None,
    )
