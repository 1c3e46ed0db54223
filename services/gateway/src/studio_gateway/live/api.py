"""`GET /api/v1/events`: the caller's live events as Server-Sent Events.

The framing, the keep-alive messages and the end of the stream are `sse-starlette`'s: it ends
every open stream as soon as the server starts shutting down, so a gateway with clients
connected stops at once (they reconnect elsewhere and resume) instead of waiting out its
shutdown grace and then cancelling them mid-write.
"""

import json
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response
from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.types import Receive, Scope, Send
from studio_runtime.errors import ServiceUnavailable, TooManyRequests, not_yours
from studio_runtime.ids import ID_PATTERN
from studio_runtime.internal_auth import Identity
from studio_runtime.middleware import HEAD_REQUEST

from studio_gateway.deps import CurrentCaller, Services
from studio_gateway.live.streams import Listener, LiveEvent
from studio_gateway.openapi.responses import UNAUTHORIZED, problem
from studio_gateway.proxy.headers import require_ascii

router = APIRouter(prefix="/api/v1", tags=["events"])
RETRY_MS = 3000
BUSY_RETRY_S = 10
BROKER_RETRY_S = 2
"""`Retry-After` when a user has as many streams open as allowed."""

_DESCRIPTION = """Server-Sent Events: the caller's generation status changes (with progress),
new and deleted assets, project changes and template changes, as they happen.

Each message has `event:` (`generation.started`, `generation.progress`, `generation.completed`,
`generation.failed`, `generation.cancelled`, `generation.requested`, `asset.created`,
`asset.updated`, `asset.deleted`, `project.created`, `project.deleted`, `template.created`, `template.updated`,
`template.deleted`), `data:` (the event as JSON) and `id:`.
The first message is `ready` (or `reset`, see below); its data carries `heartbeat_s`. While
nothing else is sent, a `ping` event (data `{}`) comes every `heartbeat_s` seconds: a client that
hears nothing for much longer is on a dead connection (a hung server, a network that dropped it
silently) and should reconnect.

To resume after a disconnect, send the last `id:` received as `Last-Event-ID` (browsers'
`EventSource` does this by itself): the missed events are replayed first. A client too far
behind (or with an id this server never gave) gets `reset` instead: reload what is shown.

HEAD answers as GET would begin (the caller, the broker and `project_id` checked), with the
headers only: no stream is opened, and none of the caller's streams is taken."""


@router.get(
    "/events",
    response_class=EventSourceResponse,
    description=_DESCRIPTION,
    responses={
        200: {"content": {"text/event-stream": {"schema": {"type": "string"}}}},
        **UNAUTHORIZED,
        400: problem("`Last-Event-ID` holds characters that are not ASCII"),
        404: problem("`project_id` names no project of yours"),
        503: problem("The message broker cannot be reached; `Retry-After` says when to try"),
        422: problem("Malformed project id"),
        429: problem(
            "Too many requests, or as many event streams open as one user may have "
            "(`STUDIO_SSE_CONNECTIONS_PER_USER`); `Retry-After` says when to try again"
        ),
    },
)
async def events(
    request: Request,
    caller: CurrentCaller,
    gw: Services,
    project_id: Annotated[str | None, Query(pattern=ID_PATTERN)] = None,
    last_event_id: Annotated[str | None, Header(max_length=64)] = None,
) -> Response:
    require_ascii("last-event-id", last_event_id)
    identity = Identity(user_id=caller.user_id, request_id=request.state.request_id)
    if not gw.live.connected:
        raise ServiceUnavailable(
            "Live events are paused: the message broker cannot be reached. They resume by "
            "themselves once it is back.",
            headers={"Retry-After": str(BROKER_RETRY_S)},
        )
    if project_id is not None:
        checked = await gw.proxy.get("projects", f"/api/v1/projects/{project_id}", identity)
        if checked.status_code == 404:
            raise not_yours("project", project_id)
        if checked.status_code != 200:
            raise ServiceUnavailable("The projects service could not check the project.")
    if request.scope.get(HEAD_REQUEST):
        # The server sends no body for HEAD, but a stream would still run (and hold a slot)
        # until the client went away: a keep-alive connection would never be answered again.
        return Response(media_type="text/event-stream", headers={"Cache-Control": "no-cache"})
    most = gw.settings.sse_connections_per_user
    if not gw.live.reserve(caller.user_id, most):
        raise TooManyRequests(
            f"Too many open event streams: one user may have {most} at once. Close one (each "
            "browser tab keeps one), or try again later.",
            retry_after_s=BUSY_RETRY_S,
        )
    return _CountedEventStream(
        _stream(
            gw.live.listen(
                caller.user_id,
                project_id,
                last_event_id,
                caller.credential_id,
                expires_ms=caller.expires_ms,
            ),
            heartbeat_s=gw.settings.sse_heartbeat_s,
        ),
        release=lambda: gw.live.release(caller.user_id),
        ping=gw.settings.sse_heartbeat_s,
        # An event, not a comment: a browser's EventSource hides comments from the page, which
        # then cannot tell a quiet stream from a dead one.
        ping_message_factory=lambda: ServerSentEvent("{}", event="ping"),
        headers={"Cache-Control": "no-cache"},
    )


class _CountedEventStream(EventSourceResponse):
    """Gives its connection slot back however the response ends: finished, client gone before
    the first byte (the stream itself then never starts), server shutting down, or failed."""

    def __init__(
        self, content: AsyncIterator[ServerSentEvent], *, release: Callable[[], None], **kw: Any
    ) -> None:
        super().__init__(content, **kw)
        self._release = release

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self._release()


async def _stream(
    subscription: AbstractAsyncContextManager[Listener], *, heartbeat_s: float
) -> AsyncIterator[ServerSentEvent]:
    # The listener is registered here, inside the response's own iteration, so a client gone
    # before the first byte leaves nothing registered behind.
    async with subscription as listener:
        # The reconnection delay rides on the first event: a block with no data is dropped by
        # some clients and shown as an empty message by others.
        first: dict[str, Any] = {"heartbeat_s": heartbeat_s}
        if listener.reset:
            name, first["reason"] = "reset", "resume point unknown"
        else:
            name = "ready"
        yield ServerSentEvent(
            json.dumps(first), event=name, id=listener.last_event_id, retry=RETRY_MS
        )
        for event in listener.backlog:
            if listener.advance(event):
                yield _message(event, listener)
        listener.finish_replay()
        while not (listener.overflowed or listener.ended):
            event = await listener.queue.get()
            if listener.overflowed or listener.ended:
                # Events were dropped behind this one, or the broker is gone: the client
                # reconnects and resumes from its last id.
                break
            if listener.advance(event):
                yield _message(event, listener)


def _message(event: LiveEvent, listener: Listener) -> ServerSentEvent:
    return ServerSentEvent(event.data, event=event.name, id=listener.last_event_id)
