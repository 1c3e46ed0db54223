"""The assets service's internal HTTP API (exposed by the gateway under the same paths)."""

import time
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import RedirectResponse, StreamingResponse
from studio_contracts.assets import Asset, AssetKind, AssetUpdate
from studio_contracts.dtos import CursorPage
from studio_contracts.enums import MediaType
from studio_runtime.deps import CurrentIdentity
from studio_runtime.errors import PayloadTooLarge, problem_response
from studio_runtime.http_caching import etag_matches
from studio_runtime.ids import ID_PATTERN
from studio_runtime.middleware import HEAD_REQUEST
from studio_runtime.sizes import readable_size

from studio_assets import metrics
from studio_assets.downloads import (
    RangeNotSatisfiable,
    content_disposition,
    etag_for,
    if_range_matches,
    parse_range,
)
from studio_assets.files import AssetFiles, StoredFile
from studio_assets.names import download_name
from studio_assets.service import AssetService
from studio_assets.settings import AssetsSettings

router = APIRouter(prefix="/api/v1", tags=["assets"])

Limit = Annotated[int, Query(ge=1, le=100)]
Cursor = Annotated[str | None, Query(max_length=64)]
SearchText = Annotated[str | None, Query(max_length=200)]


async def _service(request: Request) -> AssetService:
    service: AssetService = request.app.state.assets
    return service


async def _files(request: Request) -> AssetFiles:
    files: AssetFiles = request.app.state.files
    return files


async def _settings(request: Request) -> AssetsSettings:
    settings: AssetsSettings = request.app.state.settings
    return settings


Assets = Annotated[AssetService, Depends(_service)]
Files = Annotated[AssetFiles, Depends(_files)]
Settings = Annotated[AssetsSettings, Depends(_settings)]


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
        404: {"description": "No project of yours with this id"},
        413: {"description": "The file is over the size limit"},
        415: {"description": "Not a multipart form, or not an accepted media type"},
        422: {
            "description": "A malformed or incomplete form, no `file` field, an undecodable "
            "image, or a PNG with data after its end"
        },
    },
)
async def upload_asset(
    request: Request, project_id: str, identity: CurrentIdentity, assets: Assets, settings: Settings
) -> Asset:
    content_length = request.headers.get("content-length")
    limit = settings.upload_max_bytes
    # Refuse an announced oversize body before reading it (64 KiB allows for the form's framing).
    if content_length and content_length.isdigit() and int(content_length) > limit + 65536:
        raise PayloadTooLarge(
            f"The file is larger than the upload limit of {readable_size(limit)}."
        )
    return await assets.upload(
        identity, project_id, request.stream(), request.headers.get("content-type", "")
    )


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
    project_id: str, identity: CurrentIdentity, assets: Assets, query: AssetQueryParams
) -> CursorPage[Asset]:
    await assets.require_project(identity, project_id)
    return await _page(assets, identity.user_id, query, project_id)


@router.get(
    "/assets",
    response_model=CursorPage[Asset],
    responses={404: {"description": "`project_id` names no project of yours"}},
)
async def list_assets(
    identity: CurrentIdentity,
    assets: Assets,
    query: AssetQueryParams,
    project_id: Annotated[str | None, Query(pattern=ID_PATTERN)] = None,
) -> CursorPage[Asset]:
    page = await _page(assets, identity.user_id, query, project_id)
    if project_id is not None and not page.items:
        # A mistyped or someone else's project is an error, not an empty list. Assets listed
        # are the caller's own in that project, which proves it theirs: only an empty page
        # asks the projects service.
        await assets.require_project(identity, project_id)
    return page


@router.get("/assets/{asset_id}", response_model=Asset)
async def get_asset(asset_id: str, identity: CurrentIdentity, assets: Assets) -> Asset:
    return await assets.get(identity.user_id, asset_id)


@router.patch("/assets/{asset_id}", response_model=Asset)
async def update_asset(
    asset_id: str, body: AssetUpdate, identity: CurrentIdentity, assets: Assets
) -> Asset:
    return await assets.update(identity, asset_id, body)


@router.delete("/assets/{asset_id}", status_code=204)
async def delete_asset(asset_id: str, identity: CurrentIdentity, assets: Assets) -> Response:
    await assets.delete(identity, asset_id)
    return Response(status_code=204)


@router.get(
    "/assets/{asset_id}/content",
    response_class=Response,
    responses={
        200: {"description": "The file, with its own content type", **BINARY},
        206: {
            "description": "The requested byte range (with no If-Range, or one naming the "
            "current ETag)",
            **BINARY,
        },
        304: {"description": "Not modified (If-None-Match)"},
        307: {"description": "With `redirect=true`: to a presigned storage URL"},
        404: {"description": "No asset of yours with this id"},
        416: {"description": "The range is outside the file"},
    },
)
async def download_asset(
    request: Request,
    asset_id: str,
    identity: CurrentIdentity,
    files: Files,
    download: bool = False,
    redirect: bool = False,
) -> Response:
    started = time.perf_counter()
    file = await files.content(identity.user_id, asset_id)
    disposition = content_disposition(
        download_name(file.name, file.content_type), download=download
    )
    if redirect:
        url = await files.presigned_url(file, disposition=disposition)
        if url is not None:
            return RedirectResponse(url, status_code=307)
    return await _stream(request, files, file, disposition, ("content", started))


@router.get(
    "/assets/{asset_id}/thumbnail",
    response_class=Response,
    responses={
        200: {
            "description": "A WebP thumbnail (an image no larger than a thumbnail is its own)",
            "content": {"image/webp": {"schema": {"type": "string", "format": "binary"}}},
        },
        304: {"description": "Not modified (If-None-Match)"},
        404: {"description": "No asset of yours with this id, or it has no thumbnail"},
    },
)
async def asset_thumbnail(
    request: Request, asset_id: str, identity: CurrentIdentity, files: Files
) -> Response:
    started = time.perf_counter()
    file = await files.thumbnail(identity.user_id, asset_id)
    return await _stream(request, files, file, "inline", ("thumbnail", started))


async def _stream(
    request: Request,
    files: AssetFiles,
    file: StoredFile,
    disposition: str,
    timing: tuple[str, float],
) -> Response:
    etag = etag_for(file.digest)
    headers = {
        "ETag": etag,
        "Accept-Ranges": "bytes",
        "Content-Disposition": disposition,
        "Cache-Control": "private, max-age=3600",
    }
    if etag_matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    size = file.size
    # A part of other bytes than those the client holds the rest of is no use: send them all.
    fresh = if_range_matches(request.headers.get("if-range"), etag)
    try:
        byte_range = parse_range(request.headers.get("range") if fresh else None, size)
    except RangeNotSatisfiable:
        return problem_response(
            416,
            f"the range is outside the file's {size} bytes",
            code="range-not-satisfiable",
            headers={"Content-Range": f"bytes */{size}"},
        )
    offset, length, status = (
        (0, size, 200) if byte_range is None else (byte_range.start, byte_range.length, 206)
    )
    headers["Content-Length"] = str(length)
    if byte_range is not None:
        headers["Content-Range"] = f"bytes {byte_range.start}-{byte_range.end}/{size}"
    if request.scope.get(HEAD_REQUEST):  # the size and type, without reading the file
        return Response(status_code=status, media_type=file.content_type, headers=headers)
    chunks = metrics.first_byte_timed(await files.read(file, offset=offset, length=length), *timing)
    return StreamingResponse(
        chunks, status_code=status, media_type=file.content_type, headers=headers
    )


async def _page(
    assets: AssetService, owner: str, query: AssetQuery, project_id: str | None
) -> CursorPage[Asset]:
    return await assets.list_page(
        owner,
        project_id=project_id,
        media_type=query.media_type,
        kind=query.kind,
        favorite=query.favorite,
        q=query.q,
        cursor=query.cursor,
        limit=query.limit,
    )
