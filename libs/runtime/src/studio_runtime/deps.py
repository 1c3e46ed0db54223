"""FastAPI dependencies shared by the services.

Dependencies are `async def` even when they do not wait for anything: FastAPI runs a plain
`def` dependency in a worker thread, a hand-off that costs more CPU than the function itself
(two or three per request; measured with tests/perf/test_cpu_bench.py: 0.4-0.9 ms less CPU per
generation in each of the gateway, generation API and assets service, ~7 % of the stack's
total). Every service's dependencies follow the same rule."""

from typing import Annotated

from fastapi import Depends, Request

from studio_runtime.errors import Unauthorized
from studio_runtime.internal_auth import Identity


async def current_identity(request: Request) -> Identity:
    identity = getattr(request.state, "identity", None)
    if not isinstance(identity, Identity):
        raise Unauthorized("missing internal identity")
    return identity


CurrentIdentity = Annotated[Identity, Depends(current_identity)]
