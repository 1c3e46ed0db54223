"""Accounts: signing up and in, sessions, `me` and API tokens.

The routes in `api.py` take this service as a dependency and never touch the repository; they
keep only what is HTTP (cookies, the client's address). Errors are domain errors, mapped to
problem bodies in one place (studio_runtime.errors).
"""

from dataclasses import dataclass
from datetime import UTC, datetime

from studio_contracts.accounts import (
    ApiToken,
    LogIn,
    Me,
    NewApiToken,
    Session,
    SignUp,
    TokenCreate,
    User,
)
from studio_contracts.dtos import CursorPage
from studio_runtime.clock import from_ms
from studio_runtime.errors import Conflict, Forbidden, InvalidInput, NotFound, not_yours
from studio_runtime.pagination import split_page

from studio_gateway.auth.credentials import TOKEN_PREFIX, new_credential, new_csrf_token
from studio_gateway.auth.identity import Caller, unauthorized
from studio_gateway.auth.passwords import hash_password, needs_rehash, verify_password
from studio_gateway.auth.repository import (
    AccountRepository,
    EmailTaken,
    TokenRecord,
    UserRecord,
)
from studio_gateway.auth.revocations import Revocations
from studio_gateway.limits.buckets import RateLimiter
from studio_gateway.settings import GatewaySettings

_TOKEN_PREFIX_SHOWN = len(TOKEN_PREFIX) + 24
"""How much of a token its list shows, to tell tokens apart: `sst_` and its whole id (not a
secret). Ids begin with the time, so a shorter part is the same for tokens made within a minute."""


@dataclass(frozen=True)
class StartedSession:
    session: Session
    cookie: str
    """The `studio_session` cookie's value, `{id}.{secret}`: given once, stored hashed."""


@dataclass(frozen=True)
class SignInLimits:
    """The throttles in front of sign-up and log-in (per client address, per account)."""

    signups_per_ip: RateLimiter
    logins_per_ip: RateLimiter
    logins_per_account: RateLimiter

    @classmethod
    def from_settings(cls, settings: GatewaySettings) -> "SignInLimits":
        return cls(
            signups_per_ip=RateLimiter(limit=settings.signups_per_minute_per_ip),
            logins_per_ip=RateLimiter(limit=settings.login_attempts_per_minute_per_ip),
            logins_per_account=RateLimiter(limit=settings.login_attempts_per_minute_per_account),
        )


class AccountService:
    def __init__(
        self,
        accounts: AccountRepository,
        revocations: Revocations,
        settings: GatewaySettings,
        limits: SignInLimits,
    ) -> None:
        self._accounts = accounts
        self._revocations = revocations
        self._settings = settings
        self._limits = limits

    async def sign_up(self, body: SignUp, *, client_ip: str, user_agent: str) -> StartedSession:
        self._require_accounts()
        self._limits.signups_per_ip.check(client_ip, "sign-ups from this address")
        password_hash = await hash_password(body.password)
        try:
            user = await self._accounts.create_user(body.email, password_hash, body.display_name)
        except EmailTaken as exc:
            raise Conflict("An account with this e-mail address already exists; sign in.") from exc
        return await self._start_session(user, user_agent)

    async def log_in(self, body: LogIn, *, client_ip: str, user_agent: str) -> StartedSession:
        self._require_accounts()
        self._limits.logins_per_ip.check(client_ip, "sign-in attempts from this address")
        self._limits.logins_per_account.check(body.email, "sign-in attempts for this account")
        user = await self._accounts.user_by_email(body.email)
        if not await verify_password(user.password_hash if user else None, body.password):
            raise unauthorized("Wrong e-mail address or password.")
        assert user is not None
        if needs_rehash(user.password_hash):
            await self._accounts.set_password_hash(user.id, await hash_password(body.password))
        return await self._start_session(user, user_agent)

    async def log_out(self, caller: Caller) -> None:
        if caller.kind != "session" or caller.credential_id is None:
            raise InvalidInput(
                "Log-out ends a browser session; revoke an API token with "
                "DELETE /api/v1/tokens/{id}."
            )
        await self._accounts.delete_session(caller.credential_id)
        await self._revocations.revoke(caller.credential_id)

    async def log_out_everywhere(self, caller: Caller) -> None:
        """End every session of the caller (API tokens stay)."""
        self._require_accounts()
        _require_session(caller, "Logging out everywhere")
        ids = await self._accounts.session_ids(caller.user_id)
        await self._accounts.delete_sessions(caller.user_id)
        await self._revocations.revoke(*ids)

    async def me(self, caller: Caller) -> Me:
        if caller.kind == "local":
            user = User(
                id=caller.user_id,
                email=None,
                display_name="Local user",
                created_at=datetime.fromtimestamp(0, UTC),
            )
        else:
            record = await self._accounts.user(caller.user_id)
            if record is None:
                raise unauthorized("This account no longer exists.")
            user = _user(record)
        return Me(
            user=user,
            auth_mode=self._settings.auth_mode,
            authenticated_by=caller.kind,
            csrf_token=caller.csrf_token,
            upload_max_bytes=self._settings.upload_max_bytes,
        )

    async def create_token(self, caller: Caller, body: TokenCreate) -> NewApiToken:
        self._require_accounts()
        _require_session(caller, "Creating an API token")
        credential = new_credential()
        token = credential.value(TOKEN_PREFIX)
        record = await self._accounts.create_token(
            credential.id,
            caller.user_id,
            body.name,
            prefix=token[:_TOKEN_PREFIX_SHOWN],
            secret_hash=credential.secret_hash,
            ttl_s=None if body.expires_in_days is None else body.expires_in_days * 86400.0,
        )
        return NewApiToken(**_token(record).model_dump(), token=token)

    async def tokens_page(
        self, caller: Caller, *, cursor: str | None, limit: int
    ) -> CursorPage[ApiToken]:
        self._require_accounts()
        records = await self._accounts.tokens_page(caller.user_id, cursor=cursor, limit=limit)
        page, next_cursor = split_page(records, limit, lambda token: token.id)
        return CursorPage[ApiToken](items=[_token(d) for d in page], next_cursor=next_cursor)

    async def revoke_token(self, caller: Caller, token_id: str) -> None:
        self._require_accounts()
        # A program may give up its own token, not another one.
        if not (caller.kind == "token" and caller.credential_id == token_id):
            _require_session(caller, "Revoking another API token")
        if not await self._accounts.delete_token(caller.user_id, token_id):
            raise not_yours("API token", token_id)
        await self._revocations.revoke(token_id)

    async def _start_session(self, user: UserRecord, user_agent: str) -> StartedSession:
        credential = new_credential()
        record = await self._accounts.create_session(
            credential.id,
            user.id,
            secret_hash=credential.secret_hash,
            csrf_token=new_csrf_token(),
            ttl_s=self._settings.session_ttl_s,
            user_agent=user_agent,
        )
        assert record.expires_ms is not None  # a session always ends
        session = Session(
            user=_user(user),
            csrf_token=record.csrf_token,
            expires_at=from_ms(record.expires_ms),
        )
        return StartedSession(session=session, cookie=credential.value())

    def _require_accounts(self) -> None:
        if self._settings.auth_mode != "accounts":
            raise NotFound(
                "Accounts are off on this server (STUDIO_AUTH_MODE=local): everyone acts as "
                "the one local user, without signing in."
            )


def _user(record: UserRecord) -> User:
    return User(
        id=record.id,
        email=record.email,
        display_name=record.display_name,
        created_at=from_ms(record.created_ms),
    )


def _token(record: TokenRecord) -> ApiToken:
    return ApiToken(
        id=record.id,
        name=record.name,
        prefix=record.prefix,
        created_at=from_ms(record.created_ms),
        expires_at=from_ms(record.expires_ms) if record.expires_ms else None,
        last_used_at=from_ms(record.last_used_ms) if record.last_used_ms else None,
    )


class SessionRequired(Forbidden):
    """An API token acts as its person on projects, generations, assets and templates, not on
    the person's credentials: a leaked token that could make tokens would make one that never
    expires, and outlive its own expiry and revocation."""

    code = "session-required"


def _require_session(caller: Caller, what: str) -> None:
    if caller.kind != "session":
        raise SessionRequired(
            f"{what} needs a signed-in browser session (the API tokens page); an API token "
            "cannot manage the account's sign-ins."
        )
