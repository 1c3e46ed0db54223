"""Inserts of records that need no answer but their durability, written together.

An event handler that records "this event was applied" waits for that insert before its message
is acknowledged, but nothing else depends on it. Written one per event, a burst costs one
database command per event; here every record that arrives while a write is in flight goes into
the next write (a group commit), so a burst costs a few commands, while a lone record is still
written at once. Each caller still returns only once its own record is stored, or gets the
error that kept it from being stored.
"""

import asyncio
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError

Doc = dict[str, Any]
DUPLICATE_KEY = 11000


class GroupedInserts:
    def __init__(self, collection: AsyncCollection[Doc], *, max_batch: int = 500) -> None:
        self._collection = collection
        self._max_batch = max_batch
        self._waiting: list[tuple[Doc, asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def insert(self, document: Doc) -> None:
        """Stores `document`; one whose `_id` is stored already counts as stored (it was
        recorded by a concurrent or earlier delivery of the same thing)."""
        stored: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        # Marks an error as seen even when its caller was cancelled and no longer looks.
        stored.add_done_callback(lambda done: done.cancelled() or done.exception())
        self._waiting.append((document, stored))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_all(), name="grouped-inserts")
        # Shielded: a caller that is cancelled stops waiting, the write it joined goes on.
        await asyncio.shield(stored)

    async def _write_all(self) -> None:
        while self._waiting:
            batch, self._waiting = (
                self._waiting[: self._max_batch],
                self._waiting[self._max_batch :],
            )
            try:
                await self._insert([document for document, _ in batch])
            except Exception as exc:  # every caller of this batch learns it; nothing is lost
                for _, stored in batch:
                    if not stored.done():
                        stored.set_exception(exc)
            else:
                for _, stored in batch:
                    if not stored.done():
                        stored.set_result(None)

    async def _insert(self, documents: list[Doc]) -> None:
        try:
            await self._collection.insert_many(documents, ordered=False)
        except BulkWriteError as exc:
            errors = exc.details.get("writeErrors", [])
            if not errors or any(error.get("code") != DUPLICATE_KEY for error in errors):
                raise
