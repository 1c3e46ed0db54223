"""What the gateway's routes share, built once in the lifespan, and the dependencies that hand
it, the settings and the authenticated caller to a route."""

from dataclasses import dataclass
from typing import Annotated

import structlog
from fastapi import Depends, Request

from studio_gateway.auth.identity import Authenticator, Caller
from studio_gateway.auth.service import AccountService
from studio_gateway.limits.buckets import RateLimiter
from studio_gateway.live.streams import LiveEvents
from studio_gateway.proxy.upstream import UpstreamProxy
from studio_gateway.settings import GatewaySettings


@dataclass(frozen=True)
class GatewayServices:
    settings: GatewaySettings
    authenticator: Authenticator
    accounts: AccountService
    proxy: UpstreamProxy
    live: LiveEvents
    request_limit: RateLimiter
    """Requests per user (`STUDIO_REQUESTS_PER_MINUTE`): `limits.requests`."""
    upload_limit: RateLimiter
    """Uploaded bytes per user (`STUDIO_UPLOAD_BYTES_PER_HOUR`): `proxy.routes`."""


async def services(request: Request) -> GatewayServices:
    gateway: GatewayServices = request.app.state.gateway
    return gateway


Services = Annotated[GatewayServices, Depends(services)]


async def settings(gateway: Services) -> GatewaySettings:
    return gateway.settings


Settings = Annotated[GatewaySettings, Depends(settings)]


async def accounts(gateway: Services) -> AccountService:
    return gateway.accounts


Accounts = Annotated[AccountService, Depends(accounts)]


async def authenticated(request: Request, gateway: Services) -> Caller:
    """The caller (in local mode, the local user); their id joins every later log line."""
    caller = await gateway.authenticator.caller(request)
    structlog.contextvars.bind_contextvars(user_id=caller.user_id)
    return caller


CurrentCaller = Annotated[Caller, Depends(authenticated)]
