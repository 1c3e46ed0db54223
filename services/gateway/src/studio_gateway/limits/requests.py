"""The per-user request limit (`STUDIO_REQUESTS_PER_MINUTE`), a dependency of every route that
needs a caller: `main.py` puts it on those routers, so the limit is counted once per request,
after the caller is known and before the route runs. Sign-up and log-in have no caller yet;
their own throttles count client addresses and accounts (`auth/service.py`)."""

from fastapi import Depends
from fastapi.params import Depends as Dependency

from studio_gateway.deps import CurrentCaller, Services


async def per_user_request_limit(caller: CurrentCaller, gateway: Services) -> None:
    """429 with `Retry-After` once the caller has used up their requests."""
    gateway.request_limit.check(caller.user_id, "requests")


PER_USER_REQUEST_LIMIT: list[Dependency] = [Depends(per_user_request_limit)]
