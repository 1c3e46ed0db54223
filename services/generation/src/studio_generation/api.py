"""The generation API's routes (exposed by the gateway under the same paths)."""

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse
from studio_contracts.dtos import CursorPage
from studio_contracts.enums import GenerationStatus, GenerationType
from studio_contracts.generations import Generation, GenerationCreate, RetryRequest
from studio_runtime.deps import CurrentIdentity
from studio_runtime.idempotency import IdempotencyKeyHeader, checked_key
from studio_runtime.ids import ID_PATTERN

from studio_generation.records import GenerationRecord, public
from studio_generation.service import GenerationService

router = APIRouter(prefix="/api/v1", tags=["generations"])


@dataclass
class GenerationQuery:
    status: GenerationStatus | None = None
    type: GenerationType | None = None
    limit: Annotated[int, Query(ge=1, le=100)] = 50
    cursor: Annotated[str | None, Query(max_length=64)] = None


GenerationQueryParams = Annotated[GenerationQuery, Depends()]


async def _service(request: Request) -> GenerationService:
    service: GenerationService = request.app.state.generations
    return service


Generations = Annotated[GenerationService, Depends(_service)]


ACTIVE_LIMIT: dict[int | str, dict[str, Any]] = {
    429: {"description": "Too many of your generations are queued or running at once"}
}
"""What accepting a generation may answer, a retry's included."""


@router.post(
    "/projects/{project_id}/generations",
    status_code=202,
    response_model=Generation,
    responses={
        409: {"description": "The Idempotency-Key's first request is still being accepted"},
        413: {"description": "The request would not fit the event that queues it"},
        **ACTIVE_LIMIT,
    },
)
async def request_generation(
    project_id: str,
    body: GenerationCreate,
    identity: CurrentIdentity,
    generations: Generations,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response:
    key = checked_key(idempotency_key)
    return _accepted(await generations.request(identity, project_id, body, key))


@router.get("/projects/{project_id}/generations", response_model=CursorPage[Generation])
async def list_project_generations(
    project_id: str,
    identity: CurrentIdentity,
    generations: Generations,
    query: GenerationQueryParams,
) -> CursorPage[Generation]:
    await generations.require_project(identity, project_id)
    return await _page(generations, identity.user_id, query, project_id)


@router.get(
    "/generations",
    response_model=CursorPage[Generation],
    responses={404: {"description": "`project_id` names no project of yours"}},
)
async def list_generations(
    identity: CurrentIdentity,
    generations: Generations,
    query: GenerationQueryParams,
    project_id: Annotated[str | None, Query(pattern=ID_PATTERN)] = None,
) -> CursorPage[Generation]:
    if project_id is not None:
        # A mistyped or someone else's project is an error, not an empty list; the check is
        # the projects cache accepting a generation uses, so a page costs no extra call.
        await generations.require_project(identity, project_id)
    return await _page(generations, identity.user_id, query, project_id)


@router.get("/generations/{generation_id}", response_model=Generation)
async def get_generation(
    generation_id: str, identity: CurrentIdentity, generations: Generations
) -> Generation:
    return public(await generations.get(identity, generation_id))


@router.post(
    "/generations/{generation_id}/cancel",
    status_code=202,
    response_model=Generation,
    responses={409: {"description": "The generation has already ended"}},
)
async def cancel_generation(
    generation_id: str, identity: CurrentIdentity, generations: Generations
) -> Response:
    return _accepted(await generations.cancel(identity, generation_id))


@router.post(
    "/generations/{generation_id}/retry",
    status_code=202,
    response_model=Generation,
    responses={
        409: {"description": "Its request is no longer accepted as it was stored"},
        **ACTIVE_LIMIT,
    },
)
async def retry_generation(
    generation_id: str,
    identity: CurrentIdentity,
    generations: Generations,
    body: RetryRequest | None = None,
) -> Response:
    reroll = body.reroll_seed if body is not None else False
    return _accepted(await generations.retry(identity, generation_id, reroll_seed=reroll))


@router.delete(
    "/generations/{generation_id}",
    status_code=204,
    responses={409: {"description": "Still queued or running: cancel it first"}},
)
async def delete_generation(
    generation_id: str,
    identity: CurrentIdentity,
    generations: Generations,
    delete_outputs: bool = False,
) -> Response:
    await generations.delete(identity, generation_id, delete_outputs=delete_outputs)
    return Response(status_code=204)


async def _page(
    generations: GenerationService, owner: str, query: GenerationQuery, project_id: str | None
) -> CursorPage[Generation]:
    return await generations.list_page(
        owner,
        project_id=project_id,
        status=query.status,
        type=query.type,
        cursor=query.cursor,
        limit=query.limit,
    )


def _accepted(record: GenerationRecord) -> Response:
    return JSONResponse(public(record).model_dump(mode="json"), status_code=202)
