"""The per-user request limit (`STUDIO_REQUESTS_PER_MINUTE`), counted once per request of every
route that needs a caller, after the caller is known and before the route runs: a dependency
`main.py` puts on the routers acting for a caller, and a call in each forward (`proxy/routes.py`,
plain routes without dependencies). Sign-up and log-in have no caller yet; their own throttles
count client addresses and accounts (`auth/service.py`)."""

from fastapi import Depends
from fastapi.params import Depends as Dependency

from studio_gateway.auth.identity import Caller
from studio_gateway.deps import CurrentCaller, GatewayServices, Services


def per_user_request_limit(caller: Caller, gateway: GatewayServices, cost: float = 1) -> None:
    """429 with `Retry-After` once the caller has used up their requests (a request costing
    `cost` of one: a thumbnail costs less)."""
    gateway.request_limit.check(caller.user_id, "requests", cost)


async def _limited(caller: CurrentCaller, gateway: Services) -> None:
    per_user_request_limit(caller, gateway)


PER_USER_REQUEST_LIMIT: list[Dependency] = [Depends(_limited)]
