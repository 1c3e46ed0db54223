"""What the gateway's routes share, built once in the lifespan, and the dependencies that hand
it and the authenticated caller to a route."""

from dataclasses import dataclass

import structlog
from fastapi import Request
from studio_runtime.errors import NotFound

from studio_gateway.identity import Authenticator, Caller
from studio_gateway.limits import RateLimiter
from studio_gateway.live import LiveEvents
from studio_gateway.proxy import UpstreamProxy
from studio_gateway.repository import AccountRepository
from studio_gateway.revocations import Revocations
from studio_gateway.settings import GatewaySettings


@dataclass
class GatewayServices:
    settings: GatewaySettings
    accounts: AccountRepository
    authenticator: Authenticator
    revocations: Revocations
    proxy: UpstreamProxy
    live: LiveEvents
    request_limit: RateLimiter
    login_ip_limit: RateLimiter
    login_account_limit: RateLimiter
    signup_limit: RateLimiter
    upload_limit: RateLimiter

    @classmethod
    def limits_from(cls, settings: GatewaySettings) -> dict[str, RateLimiter]:
        return {
            "request_limit": RateLimiter(limit=settings.requests_per_minute),
            "login_ip_limit": RateLimiter(limit=settings.login_attempts_per_minute_per_ip),
            "login_account_limit": RateLimiter(
                limit=settings.login_attempts_per_minute_per_account
            ),
            "signup_limit": RateLimiter(limit=settings.signups_per_minute_per_ip),
            "upload_limit": RateLimiter(limit=settings.upload_bytes_per_hour, window_s=3600),
        }

    def require_accounts(self) -> None:
        if self.settings.auth_mode != "accounts":
            raise NotFound(
                "Accounts are off on this server (STUDIO_AUTH_MODE=local): everyone acts as "
                "the one local user, without signing in."
            )


def services(request: Request) -> GatewayServices:
    gateway: GatewayServices = request.app.state.gateway
    return gateway


async def authenticated(request: Request) -> Caller:
    """The caller, after the per-user request limit; their id joins every later log line."""
    gateway = services(request)
    caller = await gateway.authenticator.caller(request)
    structlog.contextvars.bind_contextvars(user_id=caller.user_id)
    gateway.request_limit.check(caller.user_id, "requests")
    return caller
