"""A change already written, then announced: kept if its event may be out, undone if it surely
is not (the caller gets 503 and nothing has changed). Projects and templates alike."""

from collections.abc import Awaitable, Callable, Collection

import structlog
from studio_runtime.errors import ServiceUnavailable

from studio_projects.events import PublishFailed

log = structlog.get_logger(__name__)


async def announce_update(
    kind: str,
    record_id: str,
    fields: Collection[str],
    publish: Callable[[], Awaitable[None]],
    undo: Callable[[], Awaitable[object]],
) -> None:
    """Publish the `{kind}.updated` event of a written change; undo the change when the event
    was refused. A publish that timed out may still go out, so that change is kept."""
    ids = {f"{kind}_id": record_id}
    try:
        await publish()
    except PublishFailed as exc:
        if exc.maybe_published:
            log.warning(f"{kind}.update_unconfirmed", **ids)
            return
        await undo()
        log.warning(f"{kind}.update_refused", error=str(exc), **ids)
        raise ServiceUnavailable("the change could not be announced; try again") from exc
    log.info(f"{kind}.updated", fields=sorted(fields), **ids)
