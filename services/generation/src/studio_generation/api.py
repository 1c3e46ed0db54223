"""The generation API's routes (exposed by the gateway under the same paths)."""

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.responses import JSONResponse
from studio_contracts.dtos import CursorPage
from studio_contracts.enums import GenerationStatus, GenerationType
from studio_contracts.generations import Generation, GenerationCreate, RetryRequest
from studio_runtime.deps import CurrentIdentity
from studio_runtime.ids import ID_PATTERN
from studio_runtime.pagination import split_page

from studio_generation.repository import Doc
from studio_generation.service import GenerationService, idempotency_key_error, public_fields

router = APIRouter(prefix="/api/v1", tags=["generations"])


@dataclass
class GenerationQuery:
    status: GenerationStatus | None = None
    type: GenerationType | None = None
    limit: Annotated[int, Query(ge=1, le=100)] = 50
    cursor: Annotated[str | None, Query(max_length=64)] = None


GenerationQueryParams = Annotated[GenerationQuery, Depends()]


def _service(request: Request) -> GenerationService:
    service: GenerationService = request.app.state.generations
    return service


@router.post("/projects/{project_id}/generations", status_code=202, response_model=Generation)
async def request_generation(
    request: Request,
    project_id: str,
    body: GenerationCreate,
    identity: CurrentIdentity,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> Response:
    if idempotency_key is not None and (error := idempotency_key_error(idempotency_key)):
        raise error
    doc = await _service(request).request(identity, project_id, body, idempotency_key)
    return _accepted(doc)


@router.get("/projects/{project_id}/generations", response_model=CursorPage[Generation])
async def list_project_generations(
    request: Request, project_id: str, identity: CurrentIdentity, query: GenerationQueryParams
) -> CursorPage[Generation]:
    service = _service(request)
    await service.require_project(identity, project_id)
    return await _page(service, identity.user_id, query, project_id)


@router.get("/generations", response_model=CursorPage[Generation])
async def list_generations(
    request: Request,
    identity: CurrentIdentity,
    query: GenerationQueryParams,
    project_id: Annotated[str | None, Query(pattern=ID_PATTERN)] = None,
) -> CursorPage[Generation]:
    return await _page(_service(request), identity.user_id, query, project_id)


@router.get("/generations/{generation_id}", response_model=Generation)
async def get_generation(
    request: Request, generation_id: str, identity: CurrentIdentity
) -> Generation:
    return to_public(await _service(request).get(identity, generation_id))


@router.post("/generations/{generation_id}/cancel", status_code=202, response_model=Generation)
async def cancel_generation(
    request: Request, generation_id: str, identity: CurrentIdentity
) -> Response:
    return _accepted(await _service(request).cancel(identity, generation_id))


@router.post("/generations/{generation_id}/retry", status_code=202, response_model=Generation)
async def retry_generation(
    request: Request,
    generation_id: str,
    identity: CurrentIdentity,
    body: RetryRequest | None = None,
) -> Response:
    reroll = body.reroll_seed if body is not None else False
    return _accepted(await _service(request).retry(identity, generation_id, reroll_seed=reroll))


@router.delete("/generations/{generation_id}", status_code=204)
async def delete_generation(
    request: Request, generation_id: str, identity: CurrentIdentity, delete_outputs: bool = False
) -> Response:
    await _service(request).delete(identity, generation_id, delete_outputs=delete_outputs)
    return Response(status_code=204)


async def _page(
    service: GenerationService, owner: str, query: GenerationQuery, project_id: str | None
) -> CursorPage[Generation]:
    docs = await service.repository.find_page(
        owner,
        project_id=project_id,
        status=query.status.value if query.status else None,
        type=query.type.value if query.type else None,
        cursor=query.cursor,
        limit=query.limit,
    )
    page, next_cursor = split_page(docs, query.limit, lambda doc: doc["_id"])
    return CursorPage[Generation](items=[to_public(doc) for doc in page], next_cursor=next_cursor)


def _accepted(doc: Doc) -> Response:
    return JSONResponse(to_public(doc).model_dump(mode="json"), status_code=202)


def to_public(doc: Doc) -> Generation:
    return Generation.model_validate(public_fields(doc))
