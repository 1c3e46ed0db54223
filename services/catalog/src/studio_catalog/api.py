"""The catalog's HTTP API, served internally and exposed unchanged by the gateway."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from studio_contracts.catalog import (
    GenerationTypeInfo,
    ModelInfo,
    ModelPage,
    UnavailableFamilyList,
    ValidateParamsRequest,
    ValidateParamsResponse,
)
from studio_contracts.dtos import CursorPage
from studio_contracts.enums import GenerationType, Quality
from studio_contracts.generation_types import GENERATION_TYPES
from studio_contracts.templates import StarterTemplate
from studio_runtime.http_caching import etag_matches, etag_of
from studio_runtime.model_paths import MODEL_PATH

from studio_catalog.service import CatalogService

router = APIRouter(prefix="/api/v1", tags=["catalog"])


async def _service(request: Request) -> CatalogService:
    service: CatalogService = request.app.state.catalog
    return service


Models = Annotated[CatalogService, Depends(_service)]


@router.get("/generation-types", response_model=list[GenerationTypeInfo])
async def list_generation_types() -> tuple[GenerationTypeInfo, ...]:
    return GENERATION_TYPES


@router.get("/models", response_model=ModelPage)
async def list_models(
    request: Request,
    catalog: Models,
    type: GenerationType | None = None,
    provider: Annotated[str | None, Query(max_length=64, pattern=r"^[a-z0-9-]+$")] = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    quality: Quality | None = None,
    available: Annotated[
        bool | None, Query(description="Only models this server can (true) or cannot run")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    # Served from the models' pre-serialised JSON: the response model documents the shape.
    body = catalog.search_json(
        type=type,
        provider=provider,
        q=q,
        quality=quality,
        available=available,
        limit=limit,
        offset=offset,
    )
    return _revalidated(request, body)


@router.get("/models/recommended", response_model=list[ModelInfo])
async def list_recommended_models(
    catalog: Models, type: GenerationType | None = None
) -> list[ModelInfo]:
    return catalog.recommended(type)


@router.get(
    "/starter-templates",
    response_model=CursorPage[StarterTemplate],
    tags=["templates"],
)
async def list_starter_templates(
    catalog: Models, type: GenerationType | None = None
) -> CursorPage[StarterTemplate]:
    """Ready-made starting points, the same for everyone; one page holds them all."""
    return CursorPage[StarterTemplate](items=catalog.starters(type), next_cursor=None)


@router.get("/unavailable-models", response_model=UnavailableFamilyList)
async def list_unavailable_models(catalog: Models) -> UnavailableFamilyList:
    """Model families people look for that this studio cannot offer, why, and what stands in
    (the model dialog says so when a search names one: Sora 2, Runway)."""
    return UnavailableFamilyList(items=catalog.unavailable())


@router.post("/models/{model_id:path}/validate", response_model=ValidateParamsResponse)
async def validate_model_params(
    model_id: str, body: ValidateParamsRequest, catalog: Models
) -> ValidateParamsResponse:
    return catalog.validate(model_id, body)


# Not `path`: a GET of `/models/<id>/validate` is a method that path does not take (405).
@router.get(f"/models/{{model_id:{MODEL_PATH}}}", response_model=ModelInfo)
async def get_model(model_id: str, catalog: Models, request: Request) -> Response:
    return _revalidated(request, catalog.model_json(model_id))


REVALIDATE = "public, no-cache"
"""The same for everyone, so any cache may keep it, but asked again each time: which models a
server can run changes when its operator adds a provider key and restarts it. A browser that
has the catalog gets 304 and no body (it is 124 KB, the biggest answer a project page waits
for)."""


def _revalidated(request: Request, body: bytes) -> Response:
    """`body` (JSON) with its entity tag, or 304 when the caller has it already."""
    etag = etag_of(body)
    headers = {"ETag": etag, "Cache-Control": REVALIDATE}
    if etag_matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)
