"""The public API's routing table: which service answers which path.

Every route needs an authenticated caller (in local mode, the local user), counted against the
caller's request limit; the gateway then forwards the request with the caller's signed identity.
"""

from collections.abc import Awaitable, Callable

from fastapi import Request, Response
from starlette.routing import Route
from studio_runtime.errors import DomainError
from studio_runtime.internal_auth import Identity
from studio_runtime.model_paths import MODEL_PATH

from studio_gateway.deps import GatewayServices, authenticated
from studio_gateway.limits.requests import per_user_request_limit
from studio_gateway.limits.uploads import UploadTooLarge, request_max_bytes


class LengthRequired(DomainError):
    status = 411
    code = "length-required"


ProxyRoute = tuple[str, list[str], str]
"""(path pattern, methods, service)."""

ROUTES: tuple[ProxyRoute, ...] = (
    ("/api/v1/generation-types", ["GET"], "catalog"),
    ("/api/v1/models", ["GET"], "catalog"),
    # As the catalog has them, so that a 405 lists the methods its path takes: a model id may
    # hold slashes, but never ends in `/validate` (`studio_runtime.model_paths`).
    ("/api/v1/models/{model_id:path}/validate", ["POST"], "catalog"),
    (f"/api/v1/models/{{model_id:{MODEL_PATH}}}", ["GET"], "catalog"),
    ("/api/v1/starter-templates", ["GET"], "catalog"),
    ("/api/v1/unavailable-models", ["GET"], "catalog"),
    ("/api/v1/projects", ["GET", "POST"], "projects"),
    ("/api/v1/projects/{project_id}", ["GET", "PATCH", "DELETE"], "projects"),
    ("/api/v1/templates", ["GET", "POST"], "projects"),
    ("/api/v1/templates/{template_id}", ["GET", "PATCH", "DELETE"], "projects"),
    ("/api/v1/projects/{project_id}/assets", ["GET", "POST"], "assets"),
    ("/api/v1/assets", ["GET"], "assets"),
    ("/api/v1/assets/{asset_id}", ["GET", "PATCH", "DELETE"], "assets"),
    ("/api/v1/assets/{asset_id}/content", ["GET"], "assets"),
    ("/api/v1/assets/{asset_id}/thumbnail", ["GET"], "assets"),
    ("/api/v1/projects/{project_id}/generations", ["GET", "POST"], "generation"),
    ("/api/v1/generations", ["GET"], "generation"),
    ("/api/v1/generations/{generation_id}", ["GET", "DELETE"], "generation"),
    ("/api/v1/generations/{generation_id}/cancel", ["POST"], "generation"),
    ("/api/v1/generations/{generation_id}/retry", ["POST"], "generation"),
)


THUMBNAIL_COST = 0.1
"""What a thumbnail costs of the per-user request limit. A gallery asks for one per card as it
scrolls: at a full request each, scrolling through a few thousand assets used up 600 requests a
minute and every later picture was refused. Ten thumbnails are one request."""

_COSTS = {"/api/v1/assets/{asset_id}/thumbnail": THUMBNAIL_COST}


def build_routes() -> list[Route]:
    """Plain Starlette routes, not FastAPI's: a forward needs no parameter parsing, validation
    or dependency solving, which cost a sixth of the gateway's CPU per forwarded request. What
    the dependencies did for the other routes (the caller, the per-user limit) is done here."""
    return [
        Route(path, _forwarder(service, _COSTS.get(path, 1)), methods=methods)
        for path, methods, service in ROUTES
    ]


def _forwarder(service: str, cost: float) -> Callable[[Request], Awaitable[Response]]:
    async def forward(request: Request) -> Response:
        gw: GatewayServices = request.app.state.gateway
        caller = await authenticated(request, gw)
        per_user_request_limit(caller, gw, cost)
        if request.method == "POST" and service == "assets":
            _count_upload(request, gw, caller.user_id)
        identity = Identity(user_id=caller.user_id, request_id=request.state.request_id)
        return await gw.proxy.forward(request, service=service, identity=identity)

    forward.__name__ = f"forward_to_{service}"
    return forward


def _count_upload(request: Request, gw: GatewayServices, user_id: str) -> None:
    """Refuse an upload from its headers, before a byte of it is read: larger than one file may
    be (413), or than the whole hourly volume (413), or than what is left of it (429); else
    charge it to the user's hourly volume."""
    length = request.headers.get("content-length", "")
    if not length.isdigit():
        if gw.upload_limit.limit > 0:
            raise LengthRequired("Uploads need a Content-Length header on this server.")
        return  # counted as it arrives (limits/uploads.py)
    size = int(length)
    if size > request_max_bytes(gw.settings.upload_max_bytes):
        raise UploadTooLarge(gw.settings.upload_max_bytes)
    gw.upload_limit.check(user_id, "uploaded bytes", cost=size)
