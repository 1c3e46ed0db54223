"""Asking the projects service whether a project exists and belongs to the caller."""

import httpx
from studio_runtime.errors import NotFound, ServiceUnavailable
from studio_runtime.internal_auth import IDENTITY_HEADER, Identity, sign_identity


class ProjectsClient:
    def __init__(self, client: httpx.AsyncClient, base_url: str, *, secret: str) -> None:
        self._client = client
        self._base_url = base_url.rstrip("/")
        self._secret = secret

    async def require_project(self, identity: Identity, project_id: str) -> None:
        """Raise NotFound unless the project exists and is the caller's."""
        headers = {IDENTITY_HEADER: sign_identity(identity, self._secret)}
        try:
            response = await self._client.get(
                f"{self._base_url}/api/v1/projects/{project_id}", headers=headers
            )
        except httpx.HTTPError as exc:
            raise ServiceUnavailable("the projects service is unavailable; try again") from exc
        if response.status_code == 404:
            raise NotFound(f"no project {project_id!r}")
        if response.status_code != 200:
            raise ServiceUnavailable(
                f"the projects service answered {response.status_code}; try again"
            )
