"""Sign-up, log-in, log-out, `me` and API tokens: the gateway's own routes.

`sign_in_router` is for callers who have no credential yet; `router` needs one (and so gets the
per-user request limit, `main.py`). Both are thin: the account logic is `AccountService`'s,
only cookies and the client's address are handled here.
"""

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from studio_contracts.accounts import ApiToken, LogIn, Me, NewApiToken, Session, SignUp, TokenCreate
from studio_contracts.dtos import CursorPage

from studio_gateway.auth.identity import CSRF_COOKIE, SESSION_COOKIE
from studio_gateway.auth.service import StartedSession
from studio_gateway.deps import Accounts, CurrentCaller, Settings
from studio_gateway.openapi.responses import CSRF, LIMITED, SESSION_ONLY, UNAUTHORIZED, problem
from studio_gateway.settings import GatewaySettings

sign_in_router = APIRouter(prefix="/api/v1", tags=["accounts"])
router = APIRouter(prefix="/api/v1", tags=["accounts"])


@sign_in_router.post(
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
async def sign_up(
    body: SignUp, request: Request, response: Response, accounts: Accounts, settings: Settings
) -> Session:
    started = await accounts.sign_up(
        body, client_ip=_client_ip(request), user_agent=_user_agent(request)
    )
    return _with_cookies(started, response, settings)


@sign_in_router.post(
    "/auth/login",
    response_model=Session,
    openapi_extra={"security": []},
    responses={
        401: problem("Wrong e-mail address or password"),
        404: problem("Accounts are off (local mode)"),
        **LIMITED,
    },
)
async def log_in(
    body: LogIn, request: Request, response: Response, accounts: Accounts, settings: Settings
) -> Session:
    started = await accounts.log_in(
        body, client_ip=_client_ip(request), user_agent=_user_agent(request)
    )
    return _with_cookies(started, response, settings)


@router.post(
    "/auth/logout",
    status_code=204,
    responses={**UNAUTHORIZED, **CSRF, 422: problem("Not a session")},
)
async def log_out(
    caller: CurrentCaller, response: Response, accounts: Accounts, settings: Settings
) -> Response:
    await accounts.log_out(caller)
    response.status_code = 204
    _clear_cookies(response, settings)
    return response


@router.post(
    "/auth/logout-all",
    status_code=204,
    responses={**UNAUTHORIZED, **SESSION_ONLY},
)
async def log_out_everywhere(
    caller: CurrentCaller, response: Response, accounts: Accounts, settings: Settings
) -> Response:
    """End every session of this user (API tokens stay)."""
    await accounts.log_out_everywhere(caller)
    response.status_code = 204
    _clear_cookies(response, settings)
    return response


@router.get("/me", response_model=Me, responses={**UNAUTHORIZED, **LIMITED})
async def me(caller: CurrentCaller, accounts: Accounts) -> Me:
    return await accounts.me(caller)


@router.post(
    "/tokens",
    status_code=201,
    response_model=NewApiToken,
    responses={**UNAUTHORIZED, **SESSION_ONLY, **LIMITED},
)
async def create_token(body: TokenCreate, caller: CurrentCaller, accounts: Accounts) -> NewApiToken:
    return await accounts.create_token(caller, body)


@router.get(
    "/tokens",
    response_model=CursorPage[ApiToken],
    responses={**UNAUTHORIZED, 422: problem("Bad cursor or limit"), **LIMITED},
)
async def list_tokens(
    caller: CurrentCaller,
    accounts: Accounts,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> CursorPage[ApiToken]:
    return await accounts.tokens_page(caller, cursor=cursor, limit=limit)


@router.delete(
    "/tokens/{token_id}",
    status_code=204,
    responses={**UNAUTHORIZED, **SESSION_ONLY, 404: problem("No API token of yours with this id")},
)
async def revoke_token(token_id: str, caller: CurrentCaller, accounts: Accounts) -> Response:
    await accounts.revoke_token(caller, token_id)
    return Response(status_code=204)


def _with_cookies(
    started: StartedSession, response: Response, settings: GatewaySettings
) -> Session:
    """The session's cookie (HttpOnly, for the API) and its CSRF token (readable by the page)."""
    max_age = int(settings.session_ttl_s)
    secure = settings.cookie_secure
    response.set_cookie(
        SESSION_COOKIE,
        started.cookie,
        max_age=max_age,
        path="/api",
        secure=secure,
        httponly=True,
        samesite="lax",
    )
    response.set_cookie(
        CSRF_COOKIE,
        started.session.csrf_token,
        max_age=max_age,
        path="/",
        secure=secure,
        httponly=False,
        samesite="strict",
    )
    return started.session


def _clear_cookies(response: Response, settings: GatewaySettings) -> None:
    """End the browser's session: its cookies, and its cache of the person's files (images and
    thumbnails are cached `private` for an hour, and someone at the same browser after a log-out
    could open them from its history without being asked who they are)."""
    secure = settings.cookie_secure
    response.delete_cookie(SESSION_COOKIE, path="/api", secure=secure, httponly=True)
    response.delete_cookie(CSRF_COOKIE, path="/", secure=secure)
    response.headers["Clear-Site-Data"] = '"cache"'


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _user_agent(request: Request) -> str:
    return request.headers.get("user-agent", "")
