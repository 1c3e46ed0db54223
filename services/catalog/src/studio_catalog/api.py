"""The catalog's HTTP API, served internally and exposed unchanged by the gateway."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from studio_contracts.catalog import (
    GenerationTypeInfo,
    ModelInfo,
    ModelPage,
    ValidateParamsRequest,
    ValidateParamsResponse,
)
from studio_contracts.dtos import CursorPage
from studio_contracts.enums import GenerationType, Quality
from studio_contracts.generation_types import GENERATION_TYPES
from studio_contracts.params import ParamsInvalid, validate_params
from studio_contracts.templates import StarterTemplate
from studio_runtime.errors import InvalidInput, NotFound

from studio_catalog.catalog import Catalog
from studio_catalog.mapping import recommended_models

router = APIRouter(prefix="/api/v1", tags=["catalog"])


def _catalog(request: Request) -> Catalog:
    catalog: Catalog = request.app.state.catalog
    return catalog


def _starters(request: Request) -> list[StarterTemplate]:
    starters: list[StarterTemplate] = request.app.state.starters
    return starters


Starters = Annotated[list[StarterTemplate], Depends(_starters)]


@router.get("/generation-types", response_model=list[GenerationTypeInfo])
async def list_generation_types() -> tuple[GenerationTypeInfo, ...]:
    return GENERATION_TYPES


@router.get("/models", response_model=ModelPage)
async def list_models(
    request: Request,
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
    catalog = _catalog(request)
    result = catalog.search(
        type=type,
        provider=provider,
        q=q,
        quality=quality,
        available=available,
        limit=limit,
        offset=offset,
    )
    return Response(catalog.page_json(result), media_type="application/json")


@router.get("/models/recommended", response_model=list[ModelInfo])
async def list_recommended_models(
    request: Request, type: GenerationType | None = None
) -> list[ModelInfo]:
    return recommended_models(_catalog(request).models, type)


@router.get(
    "/starter-templates",
    response_model=CursorPage[StarterTemplate],
    tags=["templates"],
)
async def list_starter_templates(
    starters: Starters, type: GenerationType | None = None
) -> CursorPage[StarterTemplate]:
    """Ready-made starting points, the same for everyone; one page holds them all."""
    items = [s for s in starters if type is None or s.type == type]
    return CursorPage[StarterTemplate](items=items, next_cursor=None)


@router.post("/models/{model_id:path}/validate", response_model=ValidateParamsResponse)
async def validate_model_params(
    request: Request, model_id: str, body: ValidateParamsRequest
) -> ValidateParamsResponse:
    try:
        return validate_params(_get_model(request, model_id), body.type, body.params)
    except ParamsInvalid as exc:
        raise InvalidInput(exc.summary, errors=exc.errors) from exc


@router.get("/models/{model_id:path}", response_model=ModelInfo)
async def get_model(request: Request, model_id: str) -> Response:
    body = _catalog(request).model_json(model_id)
    if body is None:
        raise NotFound(f"no model {model_id!r} in the catalog")
    return Response(body, media_type="application/json")


def _get_model(request: Request, model_id: str) -> ModelInfo:
    model = _catalog(request).get(model_id)
    if model is None:
        raise NotFound(f"no model {model_id!r} in the catalog")
    return model
