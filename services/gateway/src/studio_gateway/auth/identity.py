"""Who is calling: the local user, a session cookie (browsers) or an API token (programs).

In `accounts` mode every request but sign-up and log-in needs one of the two credentials. A
cookie-authenticated request that changes something must also carry the session's CSRF token in
`X-CSRF-Token` (a page on another site can make the browser send the cookie, but cannot read
the token). Checked credentials are remembered for `auth_cache_s`; a revocation is broadcast
over NATS so every gateway forgets it at once.
"""

import hmac
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Literal, TypeVar

import structlog
from cachetools import TTLCache
from fastapi import Request
from pymongo.errors import PyMongoError
from studio_runtime.clock import now_ms
from studio_runtime.errors import Forbidden, ServiceUnavailable, Unauthorized

from studio_gateway.auth.credentials import (
    bearer_token,
    secret_matches,
    split_credential,
)
from studio_gateway.auth.repository import AccountRepository, CredentialRecord, TokenRecord
from studio_gateway.settings import GatewaySettings

SESSION_COOKIE = "studio_session"
CSRF_COOKIE = "studio_csrf"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
TOUCH_EVERY_MS = 60_000
_CACHE_MAX = 100_000
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="ai-studio"'}

log = structlog.get_logger(__name__)

R = TypeVar("R", bound=CredentialRecord)


@dataclass(frozen=True)
class Caller:
    user_id: str
    kind: Literal["local", "session", "token"]
    credential_id: str | None = None
    csrf_token: str | None = None
    expires_ms: int | None = None
    """When the session or API token ends (epoch ms; None: never, or local mode): a live
    event stream opened with it ends then too."""


@dataclass(frozen=True)
class _Remembered:
    secret_hash: str
    caller: Caller
    expires: float
    """When the credential itself expires (monotonic seconds): it may do so before the cache
    would forget it."""


def unauthorized(detail: str) -> Unauthorized:
    return Unauthorized(detail, headers=_CHALLENGE)


class Authenticator:
    def __init__(self, settings: GatewaySettings, accounts: AccountRepository) -> None:
        self._settings = settings
        self._accounts = accounts
        self._remembered: TTLCache[str, _Remembered] | None = (
            TTLCache(maxsize=_CACHE_MAX, ttl=settings.auth_cache_s)
            if settings.auth_cache_s > 0
            else None
        )

    @property
    def mode(self) -> Literal["local", "accounts"]:
        return self._settings.auth_mode

    async def caller(self, request: Request) -> Caller:
        if self.mode == "local":
            return Caller(user_id=self._settings.local_user_id, kind="local")
        header = request.headers.get("authorization")
        if header is not None:
            token = bearer_token(header)
            if token is None:
                raise unauthorized(
                    "The Authorization header must be `Bearer sst_…` (an API token)."
                )
            return await self._token(token)
        cookie = request.cookies.get(SESSION_COOKIE)
        if cookie:
            caller = await self._session(cookie)
            if request.method not in SAFE_METHODS:
                sent = request.headers.get(CSRF_HEADER, "")
                if not hmac.compare_digest(sent.encode(), (caller.csrf_token or "").encode()):
                    raise Forbidden(
                        "This change needs the session's CSRF token in the X-CSRF-Token header "
                        "(it is in the log-in answer and the studio_csrf cookie)."
                    )
            return caller
        raise unauthorized("Sign in, or send an API token as `Authorization: Bearer …`.")

    def forget(self, credential_id: str) -> None:
        """Stop trusting a credential this gateway may have remembered."""
        if self._remembered is not None:
            self._remembered.pop(credential_id, None)

    async def _session(self, cookie: str) -> Caller:
        return await self._check(
            cookie,
            self._accounts.session,
            lambda session: Caller(
                user_id=session.user_id,
                kind="session",
                credential_id=session.id,
                csrf_token=session.csrf_token,
            ),
            "Your session has ended; sign in again.",
        )

    async def _token(self, value: str) -> Caller:
        async def load(token_id: str) -> TokenRecord | None:
            token = await self._accounts.token(token_id)
            if token is not None and (token.last_used_ms or 0) < now_ms() - TOUCH_EVERY_MS:
                await self._accounts.touch_token(token_id, now_ms())
            return token

        return await self._check(
            value,
            load,
            lambda token: Caller(user_id=token.user_id, kind="token", credential_id=token.id),
            "This API token is not valid (revoked, expired or mistyped).",
        )

    async def _check(
        self,
        value: str,
        load: Callable[[str], Awaitable[R | None]],
        make: Callable[[R], Caller],
        refusal: str,
    ) -> Caller:
        parts = split_credential(value)
        if parts is None:
            raise unauthorized(refusal)
        credential_id, secret = parts
        remembered = self._remembered.get(credential_id) if self._remembered is not None else None
        if (
            remembered is not None
            and remembered.expires > time.monotonic()
            and secret_matches(remembered.secret_hash, secret)
        ):
            return remembered.caller
        try:
            record = await load(credential_id)
        except PyMongoError as exc:
            log.warning("auth.lookup_failed", error=str(exc))
            raise ServiceUnavailable(
                "Sign-in cannot be checked right now (the accounts database is unavailable); "
                "try again shortly."
            ) from exc
        if (
            record is None
            or not secret_matches(record.secret_hash, secret)
            or (record.expires_ms and record.expires_ms <= now_ms())
        ):
            raise unauthorized(refusal)
        caller = replace(make(record), expires_ms=record.expires_ms or None)
        if self._remembered is not None:
            expires = math.inf
            if record.expires_ms:
                expires = time.monotonic() + (record.expires_ms - now_ms()) / 1000
            self._remembered[credential_id] = _Remembered(record.secret_hash, caller, expires)
        return caller
