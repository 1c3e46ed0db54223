"""Telling every gateway instance at once that a session or API token is no longer valid.

A core NATS message (not stored: a gateway that misses it forgets the credential within
`auth_cache_s` anyway, and one that starts later has nothing remembered). Each gateway also
ends the live event streams opened with the credential (`on_revoked`)."""

from collections.abc import Callable

import structlog
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from studio_contracts.subjects import CREDENTIAL_REVOKED, subject

from studio_gateway.auth.identity import Authenticator

log = structlog.get_logger(__name__)


class Revocations:
    def __init__(
        self,
        nc: NATS,
        authenticator: Authenticator,
        *,
        prefix: str,
        on_revoked: Callable[[str], None] = lambda credential_id: None,
    ) -> None:
        self._nc = nc
        self._authenticator = authenticator
        self._on_revoked_here = on_revoked
        self._subject = subject(CREDENTIAL_REVOKED, prefix)
        self._subscription: Subscription | None = None

    async def start(self) -> None:
        self._subscription = await self._nc.subscribe(self._subject, cb=self._on_revoked)

    async def stop(self) -> None:
        if self._subscription is not None:
            await self._subscription.unsubscribe()

    async def revoke(self, *credential_ids: str) -> None:
        for credential_id in credential_ids:
            self._forget(credential_id)
            try:
                await self._nc.publish(self._subject, credential_id.encode())
            except Exception as exc:  # the others forget it within auth_cache_s anyway
                log.warning("revocation.not_broadcast", error=str(exc))

    async def _on_revoked(self, message: Msg) -> None:
        self._forget(message.data.decode(errors="replace"))

    def _forget(self, credential_id: str) -> None:
        self._authenticator.forget(credential_id)
        self._on_revoked_here(credential_id)
