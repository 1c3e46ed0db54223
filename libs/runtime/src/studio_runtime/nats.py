"""NATS connections and JetStream stream declarations."""

import nats
import structlog
from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext
from nats.js.api import RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError
from studio_contracts.subjects import StreamSpec

from studio_runtime.settings import NatsSettings

log = structlog.get_logger(__name__)


async def connect_nats(settings: NatsSettings, *, name: str) -> NatsClient:
    """Connect, retrying in the background after a lost connection (never giving up).

    `nats_url` may list several servers of a cluster, comma-separated: the client starts with
    any that answers and, when that one goes away, reconnects to another (and to any server
    the cluster announces later)."""
    return await nats.connect(
        server_urls(settings.nats_url),
        name=name,
        max_reconnect_attempts=-1,
        reconnect_time_wait=0.5,
        connect_timeout=5,
        drain_timeout=5,
        error_cb=_log_error,
        disconnected_cb=_log_disconnected,
        reconnected_cb=_log_reconnected,
    )


def server_urls(nats_url: str) -> list[str]:
    return [url.strip() for url in nats_url.split(",") if url.strip()]


async def _log_error(error: Exception) -> None:
    # One line, no traceback: while the server is away every reconnect attempt fails, and
    # nats-py's default logs a full traceback each time (costly enough to slow a service down).
    log.warning("nats.error", error=f"{type(error).__name__}: {error}")


async def _log_disconnected() -> None:
    log.warning("nats.disconnected")


async def _log_reconnected() -> None:
    log.info("nats.reconnected")


async def ping_nats(client: NatsClient) -> None:
    if not client.is_connected:
        raise ConnectionError("not connected to NATS")
    await client.flush(timeout=1)


async def declare_stream(js: JetStreamContext, spec: StreamSpec, *, replicas: int = 1) -> None:
    """Create or update the stream. Only the stream's owning service calls this; the replica
    count goes with every declaration, since an update without one would reset it."""
    config = StreamConfig(
        name=spec.name,
        subjects=list(spec.subjects),
        retention=RetentionPolicy.LIMITS,
        storage=StorageType.FILE,
        max_age=spec.max_age.total_seconds(),
        max_bytes=spec.max_bytes,
        duplicate_window=spec.duplicate_window.total_seconds(),
        num_replicas=replicas,
    )
    try:
        await js.stream_info(spec.name)
    except NotFoundError:
        await js.add_stream(config)
    else:
        await js.update_stream(config)
