"""Small database operations of many concurrent callers, done together (a group commit).

In a burst, every event handler or request makes the same small call as the others running
beside it (record "this event was applied", give back a slot). Made one by one, a
burst costs one database command per call, and on the embedded server each command costs about
a millisecond of CPU. Here every call that arrives while a command is in flight goes into the
next one, so a burst costs a few commands, while a lone call still goes out at once. Each caller
returns only once its own part is done (with its own answer), or gets the error that kept it
from being done.
"""

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Generic, TypeVar

from pymongo import UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError

Doc = dict[str, Any]
DUPLICATE_KEY = 11000
Item = TypeVar("Item")
Answer = TypeVar("Answer")


class Grouped(Generic[Item, Answer]):
    """Runs `run(items)` for the items of all callers waiting; `run` answers each, in order."""

    def __init__(
        self,
        run: Callable[[list[Item]], Awaitable[Sequence[Answer]]],
        *,
        name: str,
        max_batch: int = 500,
    ) -> None:
        self._run = run
        self._name = name
        self._max_batch = max_batch
        self._waiting: list[tuple[Item, asyncio.Future[Answer]]] = []
        self._runner: asyncio.Task[None] | None = None

    async def __call__(self, item: Item) -> Answer:
        done: asyncio.Future[Answer] = asyncio.get_running_loop().create_future()
        # Marks an error as seen even when its caller was cancelled and no longer looks.
        done.add_done_callback(lambda future: future.cancelled() or future.exception())
        self._waiting.append((item, done))
        if self._runner is None or self._runner.done():
            self._runner = asyncio.create_task(self._run_all(), name=self._name)
        # Shielded: a caller that is cancelled stops waiting, the command it joined goes on.
        return await asyncio.shield(done)

    async def _run_all(self) -> None:
        while self._waiting:
            batch, self._waiting = (
                self._waiting[: self._max_batch],
                self._waiting[self._max_batch :],
            )
            try:
                answers = await self._run([item for item, _ in batch])
            except Exception as exc:  # every caller of this batch learns it; nothing is lost
                for _, done in batch:
                    if not done.done():
                        done.set_exception(exc)
            else:
                for (_, done), answer in zip(batch, answers, strict=True):
                    if not done.done():
                        done.set_result(answer)


class GroupedInserts:
    """Inserts of new records; each caller learns whether its record was new."""

    def __init__(self, collection: AsyncCollection[Doc], *, max_batch: int = 500) -> None:
        self._collection = collection
        self._grouped = Grouped(self._insert, name="grouped-inserts", max_batch=max_batch)

    async def insert(self, document: Doc) -> bool:
        """Stores `document`: True. False: a record with its `_id` (or another unique key) is
        stored already; it counts as stored (recorded by a concurrent or earlier delivery of
        the same thing)."""
        return await self._grouped(document)

    async def _insert(self, documents: list[Doc]) -> list[bool]:
        stored = [True] * len(documents)
        try:
            await self._collection.insert_many(documents, ordered=False)
        except BulkWriteError as exc:
            errors = exc.details.get("writeErrors", [])
            if not errors or any(error.get("code") != DUPLICATE_KEY for error in errors):
                raise
            for error in errors:
                stored[error["index"]] = False
        return stored


class GroupedUpdates:
    """Updates of one record each that need no answer but being done, in the order called
    (a counter many handlers move): one `update` command of many statements."""

    def __init__(self, collection: AsyncCollection[Doc], *, max_batch: int = 500) -> None:
        self._collection = collection
        self._grouped = Grouped(self._update, name="grouped-updates", max_batch=max_batch)

    async def update(self, query: Doc, update: Doc) -> None:
        await self._grouped(UpdateOne(query, update))

    async def _update(self, updates: list[UpdateOne]) -> list[None]:
        await self._collection.bulk_write(updates, ordered=True)
        return [None] * len(updates)
