"""One provider spread over several HTTP clients.

A worker with hundreds of jobs waiting on fal polls them all; through one httpx pool that costs
more CPU in the pool's bookkeeping than in the requests (see `studio_runtime.client_pool`), so
each client serves a share of the jobs instead."""

from itertools import cycle

from studio_generation.providers.base import Provider, ProviderEvents, ProviderJob, ProviderOutput


class ProviderPool:
    def __init__(self, providers: list[Provider]) -> None:
        if not providers:
            raise ValueError("a provider pool needs at least one provider")
        self.name = providers[0].name
        self._first = providers[0]
        self._next = cycle(providers)

    async def run(self, job: ProviderJob, events: ProviderEvents) -> list[ProviderOutput]:
        return await next(self._next).run(job, events)

    async def cancel(self, request_id: str) -> bool:
        # Any member can cancel: the handle carries the request's own URLs.
        return await self._first.cancel(request_id)
