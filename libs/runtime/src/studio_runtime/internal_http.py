"""Calling another service over HTTP as the user a request acts for (signed identity)."""

from typing import Any
from urllib.parse import quote

import httpx

from studio_runtime.errors import NotFound, ServiceUnavailable
from studio_runtime.internal_auth import IDENTITY_HEADER, Identity, sign_identity
from studio_runtime.middleware import REQUEST_ID_HEADER


class InternalService:
    """One internal service: its base URL and the shared signing secret."""

    def __init__(self, client: httpx.AsyncClient, base_url: str, *, secret: str, name: str) -> None:
        self._client = client
        self._base_url = base_url.rstrip("/")
        self._secret = secret
        self.name = name

    async def request(
        self, method: str, path: str, identity: Identity, **kwargs: Any
    ) -> httpx.Response:
        """The service's answer, whatever its status; ServiceUnavailable if it cannot be reached."""
        headers = {IDENTITY_HEADER: sign_identity(identity, self._secret)}
        if identity.request_id:
            headers[REQUEST_ID_HEADER] = identity.request_id
        try:
            return await self._client.request(
                method, self._base_url + _encoded(path), headers=headers, **kwargs
            )
        except httpx.HTTPError as exc:
            raise ServiceUnavailable(f"the {self.name} service is unavailable; try again") from exc

    def stream(self, method: str, path: str, identity: Identity) -> Any:
        """`async with service.stream(...) as response`: for large bodies."""
        headers = {IDENTITY_HEADER: sign_identity(identity, self._secret)}
        return self._client.stream(method, self._base_url + _encoded(path), headers=headers)


class ProjectsClient:
    """Asks the projects service whether a project exists and belongs to the caller."""

    def __init__(self, service: InternalService) -> None:
        self._service = service

    async def require_project(self, identity: Identity, project_id: str) -> None:
        response = await self._service.request("GET", f"/api/v1/projects/{project_id}", identity)
        if response.status_code == 404:
            raise NotFound(f"no project {project_id!r}")
        if response.status_code != 200:
            raise ServiceUnavailable(
                f"the projects service answered {response.status_code}; try again"
            )


def _encoded(path: str) -> str:
    """`path` with anything a URL cannot hold percent-encoded: ids in paths come from callers,
    and an odd one must reach the service (which answers 404), not break the request."""
    return quote(path, safe="/:@!$&'()*+,;=-._~", errors="backslashreplace")
