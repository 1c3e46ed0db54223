"""Route dependencies shared by the projects and the templates APIs."""

from typing import Annotated

from fastapi import Depends, Request
from studio_runtime.deps import CurrentIdentity


async def _request_id(request: Request, identity: CurrentIdentity) -> str | None:
    """The id published events carry: the one the gateway signed, else this request's own."""
    return identity.request_id or getattr(request.state, "request_id", None)


RequestId = Annotated[str | None, Depends(_request_id)]
