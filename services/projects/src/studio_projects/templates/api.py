"""The user templates HTTP API, served internally and exposed unchanged by the gateway.

Every route acts for the caller the gateway signed for; a template of anyone else, an unknown id
and a malformed id all answer the same 404.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response, status
from studio_contracts.dtos import CursorPage
from studio_contracts.enums import GenerationType
from studio_contracts.templates import Template, TemplateCreate, TemplateUpdate
from studio_runtime.deps import CurrentIdentity
from studio_runtime.idempotency import IdempotencyKeyHeader, checked_key

from studio_projects.deps import RequestId
from studio_projects.templates.service import TemplateService

router = APIRouter(prefix="/api/v1/templates", tags=["templates"])

_ANNOUNCE_FAILED: dict[int | str, dict[str, Any]] = {
    503: {"description": "Nothing changed: the change could not be announced"}
}


async def _service(request: Request) -> TemplateService:
    service: TemplateService = request.app.state.templates
    return service


Templates = Annotated[TemplateService, Depends(_service)]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=Template,
    description=(
        "Save a template. With an `Idempotency-Key`, a repeat of the request (an answer lost, "
        "a 504 from the gateway) answers the template the key made, 201 again, instead of "
        "saving a second one."
    ),
    responses={
        409: {
            "description": "The caller has as many templates as allowed, or the "
            "Idempotency-Key's first request is still being accepted"
        },
        **_ANNOUNCE_FAILED,
    },
)
async def create_template(
    body: TemplateCreate,
    identity: CurrentIdentity,
    request_id: RequestId,
    templates: Templates,
    response: Response,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Template:
    template = await templates.create(
        identity.user_id,
        body,
        request_id=request_id,
        idempotency_key=checked_key(idempotency_key),
    )
    response.headers["Location"] = f"{router.prefix}/{template.id}"
    return template


@router.get("", response_model=CursorPage[Template])
async def list_templates(
    identity: CurrentIdentity,
    templates: Templates,
    q: Annotated[
        str | None,
        Query(max_length=200, description="A case-insensitive piece of the name or the prompt"),
    ] = None,
    type: GenerationType | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: str | None = None,
) -> CursorPage[Template]:
    return await templates.list_page(
        identity.user_id, search=q, type=type, cursor=cursor, limit=limit
    )


@router.get("/{template_id}", response_model=Template)
async def get_template(
    template_id: str, identity: CurrentIdentity, templates: Templates
) -> Template:
    return await templates.get(identity.user_id, template_id)


@router.patch("/{template_id}", response_model=Template, responses=_ANNOUNCE_FAILED)
async def update_template(
    template_id: str,
    body: TemplateUpdate,
    identity: CurrentIdentity,
    request_id: RequestId,
    templates: Templates,
) -> Template:
    return await templates.update(identity.user_id, template_id, body, request_id=request_id)


@router.delete(
    "/{template_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=_ANNOUNCE_FAILED,
)
async def delete_template(
    template_id: str, identity: CurrentIdentity, request_id: RequestId, templates: Templates
) -> Response:
    await templates.delete(identity.user_id, template_id, request_id=request_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
