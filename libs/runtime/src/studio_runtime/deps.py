"""FastAPI dependencies shared by the services."""

from typing import Annotated

from fastapi import Depends, Request

from studio_runtime.errors import Unauthorized
from studio_runtime.internal_auth import Identity


def current_identity(request: Request) -> Identity:
    identity = getattr(request.state, "identity", None)
    if not isinstance(identity, Identity):
        raise Unauthorized("missing internal identity")
    return identity


CurrentIdentity = Annotated[Identity, Depends(current_identity)]
