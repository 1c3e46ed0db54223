"""Sign-up, log-in, log-out, `me` and API tokens: the gateway's own routes."""

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
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
from studio_runtime.errors import Conflict, InvalidInput, NotFound
from studio_runtime.pagination import split_page

from studio_gateway.identity import CSRF_COOKIE, SESSION_COOKIE, Caller, unauthorized
from studio_gateway.passwords import hash_password, needs_rehash, verify_password
from studio_gateway.repository import Doc, EmailTaken
from studio_gateway.responses import CSRF, LIMITED, UNAUTHORIZED, problem
from studio_gateway.services import GatewayServices, authenticated, services

ServicesDep = Annotated[GatewayServices, Depends(services)]
CallerDep = Annotated[Caller, Depends(authenticated)]


router = APIRouter(prefix="/api/v1", tags=["accounts"])


@router.post(
    "/auth/signup",
    status_code=201,
    response_model=Session,
    openapi_extra={"security": []},
    responses={
        404: problem("Accounts are off (local mode)"),
        409: problem("An account with this e-mail address exists"),
        422: problem("Invalid e-mail address or password"),
        **LIMITED,
    },
)
async def sign_up(body: SignUp, request: Request, response: Response, gw: ServicesDep) -> Session:
    gw.require_accounts()
    gw.signup_limit.check(_client_ip(request), "sign-ups from this address")
    password_hash = await hash_password(body.password)
    try:
        user = await gw.accounts.create_user(body.email, password_hash, body.display_name)
    except EmailTaken as exc:
        raise Conflict("An account with this e-mail address already exists; sign in.") from exc
    return await _start_session(gw, user, request, response)


@router.post(
    "/auth/login",
    response_model=Session,
    openapi_extra={"security": []},
    responses={
        401: problem("Wrong e-mail address or password"),
        404: problem("Accounts are off (local mode)"),
        **LIMITED,
    },
)
async def log_in(body: LogIn, request: Request, response: Response, gw: ServicesDep) -> Session:
    gw.require_accounts()
    gw.login_ip_limit.check(_client_ip(request), "sign-in attempts from this address")
    gw.login_account_limit.check(body.email, "sign-in attempts for this account")
    user = await gw.accounts.user_by_email(body.email)
    if not await verify_password(user["password_hash"] if user else None, body.password):
        raise unauthorized("Wrong e-mail address or password.")
    assert user is not None
    if needs_rehash(user["password_hash"]):
        await gw.accounts.set_password_hash(user["_id"], await hash_password(body.password))
    return await _start_session(gw, user, request, response)


@router.post(
    "/auth/logout",
    status_code=204,
    responses={**UNAUTHORIZED, **CSRF, 422: problem("Not a session")},
)
async def log_out(caller: CallerDep, response: Response, gw: ServicesDep) -> Response:
    if caller.kind != "session" or caller.credential_id is None:
        raise InvalidInput(
            "Log-out ends a browser session; revoke an API token with DELETE /api/v1/tokens/{id}."
        )
    await gw.accounts.delete_session(caller.credential_id)
    await gw.revocations.revoke(caller.credential_id)
    response.status_code = 204
    _clear_cookies(response, gw)
    return response


@router.post(
    "/auth/logout-all",
    status_code=204,
    responses={**UNAUTHORIZED, **CSRF},
)
async def log_out_everywhere(caller: CallerDep, response: Response, gw: ServicesDep) -> Response:
    """End every session of this user (API tokens stay)."""
    gw.require_accounts()
    ids = await gw.accounts.session_ids(caller.user_id)
    await gw.accounts.delete_sessions(caller.user_id)
    await gw.revocations.revoke(*ids)
    response.status_code = 204
    _clear_cookies(response, gw)
    return response


@router.get("/me", response_model=Me, responses={**UNAUTHORIZED, **LIMITED})
async def me(caller: CallerDep, gw: ServicesDep) -> Me:
    if caller.kind == "local":
        user = User(
            id=caller.user_id,
            email=None,
            display_name="Local user",
            created_at=datetime.fromtimestamp(0, UTC),
        )
    else:
        doc = await gw.accounts.user(caller.user_id)
        if doc is None:
            raise unauthorized("This account no longer exists.")
        user = _user(doc)
    return Me(
        user=user,
        auth_mode=gw.settings.auth_mode,
        authenticated_by=caller.kind,
        csrf_token=caller.csrf_token,
    )


@router.post(
    "/tokens",
    status_code=201,
    response_model=NewApiToken,
    responses={**UNAUTHORIZED, **CSRF, **LIMITED},
)
async def create_token(body: TokenCreate, caller: CallerDep, gw: ServicesDep) -> NewApiToken:
    gw.require_accounts()
    ttl = None if body.expires_in_days is None else body.expires_in_days * 86400.0
    issued = await gw.accounts.create_token(caller.user_id, body.name, ttl_s=ttl)
    return NewApiToken(**_token(issued.doc).model_dump(), token=issued.token)


@router.get(
    "/tokens",
    response_model=CursorPage[ApiToken],
    responses={**UNAUTHORIZED, 422: problem("Bad cursor or limit"), **LIMITED},
)
async def list_tokens(
    caller: CallerDep,
    gw: ServicesDep,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> CursorPage[ApiToken]:
    gw.require_accounts()
    docs = await gw.accounts.tokens_page(caller.user_id, cursor=cursor, limit=limit)
    page, next_cursor = split_page(docs, limit, lambda d: d["_id"])
    return CursorPage[ApiToken](items=[_token(d) for d in page], next_cursor=next_cursor)


@router.delete(
    "/tokens/{token_id}",
    status_code=204,
    responses={**UNAUTHORIZED, **CSRF, 404: problem("No such token")},
)
async def revoke_token(token_id: str, caller: CallerDep, gw: ServicesDep) -> Response:
    gw.require_accounts()
    if not await gw.accounts.delete_token(caller.user_id, token_id):
        raise NotFound("No such API token.")
    await gw.revocations.revoke(token_id)
    return Response(status_code=204)


async def _start_session(
    gw: GatewayServices, user: Doc, request: Request, response: Response
) -> Session:
    issued = await gw.accounts.create_session(
        user["_id"],
        ttl_s=gw.settings.session_ttl_s,
        user_agent=request.headers.get("user-agent", ""),
    )
    max_age = int(gw.settings.session_ttl_s)
    secure = gw.settings.cookie_secure
    response.set_cookie(
        SESSION_COOKIE,
        issued.cookie,
        max_age=max_age,
        path="/api",
        secure=secure,
        httponly=True,
        samesite="lax",
    )
    response.set_cookie(
        CSRF_COOKIE,
        issued.doc["csrf_token"],
        max_age=max_age,
        path="/",
        secure=secure,
        httponly=False,
        samesite="strict",
    )
    return Session(
        user=_user(user),
        csrf_token=issued.doc["csrf_token"],
        expires_at=_time(issued.doc["expires_ms"]),
    )


def _clear_cookies(response: Response, gw: GatewayServices) -> None:
    secure = gw.settings.cookie_secure
    response.delete_cookie(SESSION_COOKIE, path="/api", secure=secure, httponly=True)
    response.delete_cookie(CSRF_COOKIE, path="/", secure=secure)


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _user(doc: Doc) -> User:
    return User(
        id=doc["_id"],
        email=doc["email"],
        display_name=doc.get("display_name", ""),
        created_at=_time(doc["created_ms"]),
    )


def _token(doc: Doc) -> ApiToken:
    return ApiToken(
        id=doc["_id"],
        name=doc["name"],
        prefix=doc["prefix"],
        created_at=_time(doc["created_ms"]),
        expires_at=_time(doc["expires_ms"]) if doc.get("expires_ms") else None,
        last_used_at=_time(doc["last_used_ms"]) if doc.get("last_used_ms") else None,
    )


def _time(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)
