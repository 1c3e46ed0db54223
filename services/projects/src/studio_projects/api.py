"""The projects HTTP API, served internally and exposed unchanged by the gateway.

Every route acts for the caller the gateway signed for; a project of anyone else, an unknown id
and a malformed id all answer the same 404.
"""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status
from studio_contracts.dtos import CursorPage
from studio_contracts.projects import Project, ProjectCreate, ProjectUpdate
from studio_runtime.deps import CurrentIdentity
from studio_runtime.idempotency import IdempotencyKeyHeader, checked_key

from studio_projects.deps import RequestId
from studio_projects.service import DeletionOutcome, ProjectService

router = APIRouter(prefix="/api/v1/projects", tags=["projects"])


async def _service(request: Request) -> ProjectService:
    service: ProjectService = request.app.state.projects
    return service


Projects = Annotated[ProjectService, Depends(_service)]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=Project,
    description=(
        "Create a project. With an `Idempotency-Key`, a repeat of the request (an answer lost, "
        "a 504 from the gateway) answers the project the key made, 201 again, instead of "
        "making a second one."
    ),
    responses={
        409: {"description": "The Idempotency-Key's first request is still being accepted"},
        503: {"description": "Not created: the creation could not be announced"},
    },
)
async def create_project(
    body: ProjectCreate,
    identity: CurrentIdentity,
    request_id: RequestId,
    projects: Projects,
    response: Response,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Project:
    project = await projects.create(
        identity.user_id,
        body,
        request_id=request_id,
        idempotency_key=checked_key(idempotency_key),
    )
    response.headers["Location"] = f"{router.prefix}/{project.id}"
    return project


@router.get("", response_model=CursorPage[Project])
async def list_projects(
    identity: CurrentIdentity,
    projects: Projects,
    q: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: str | None = None,
) -> CursorPage[Project]:
    return await projects.list_page(identity.user_id, search=q, cursor=cursor, limit=limit)


@router.get("/{project_id}", response_model=Project)
async def get_project(project_id: str, identity: CurrentIdentity, projects: Projects) -> Project:
    return await projects.get(identity.user_id, project_id)


@router.patch(
    "/{project_id}",
    response_model=Project,
    responses={503: {"description": "Not changed: the change could not be announced"}},
)
async def update_project(
    project_id: str, body: ProjectUpdate, identity: CurrentIdentity, projects: Projects
) -> Project:
    return await projects.update(identity.user_id, project_id, body, request_id=identity.request_id)


@router.delete(
    "/{project_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses={
        202: {"description": "Hidden and bound to finish, but not confirmed yet"},
        503: {"description": "Not deleted: the deletion could not be announced"},
    },
)
async def delete_project(
    project_id: str, identity: CurrentIdentity, request_id: RequestId, projects: Projects
) -> Response:
    outcome = await projects.delete(identity.user_id, project_id, request_id=request_id)
    accepted = outcome is DeletionOutcome.PENDING
    return Response(
        status_code=status.HTTP_202_ACCEPTED if accepted else status.HTTP_204_NO_CONTENT
    )
