"""Accounts, sessions and API tokens in the gateway's own MongoDB database.

Secrets are never stored: a session or token record keeps only the hash of its secret
(`credentials.py`). Unique e-mail addresses are kept by using the address as the `_id` of a
small `emails` collection, which every MongoDB-wire server enforces. Documents become typed
records here, at the boundary; nothing above this module sees a document.
"""

from dataclasses import dataclass
from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError
from studio_runtime.clock import now_ms
from studio_runtime.ids import new_id
from studio_runtime.pagination import cursor_filter

Doc = dict[str, Any]


class EmailTaken(Exception):
    pass


@dataclass(frozen=True)
class UserRecord:
    id: str
    email: str
    display_name: str
    password_hash: str
    created_ms: int


@dataclass(frozen=True)
class CredentialRecord:
    """What a session and an API token have in common: checked the same way."""

    id: str
    user_id: str
    secret_hash: str
    created_ms: int
    expires_ms: int | None


@dataclass(frozen=True)
class SessionRecord(CredentialRecord):
    csrf_token: str


@dataclass(frozen=True)
class TokenRecord(CredentialRecord):
    name: str
    prefix: str
    last_used_ms: int | None


class AccountRepository:
    def __init__(self, db: AsyncDatabase[Doc]) -> None:
        self._users: AsyncCollection[Doc] = db["users"]
        self._emails: AsyncCollection[Doc] = db["emails"]
        self._sessions: AsyncCollection[Doc] = db["sessions"]
        self._tokens: AsyncCollection[Doc] = db["api_tokens"]

    async def ensure_indexes(self) -> None:
        await self._sessions.create_index([("user_id", ASCENDING)])
        await self._tokens.create_index([("user_id", ASCENDING)])

    async def create_user(self, email: str, password_hash: str, display_name: str) -> UserRecord:
        user_id = new_id()
        try:
            await self._emails.insert_one({"_id": email, "user_id": user_id})
        except DuplicateKeyError as exc:
            raise EmailTaken(email) from exc
        user = {
            "_id": user_id,
            "email": email,
            "display_name": display_name,
            "password_hash": password_hash,
            "created_ms": now_ms(),
        }
        try:
            await self._users.insert_one(user)
        except BaseException:
            # Leave no claimed address without an account behind it.
            await self._emails.delete_one({"_id": email, "user_id": user_id})
            raise
        return _user(user)

    async def user_by_email(self, email: str) -> UserRecord | None:
        claim = await self._emails.find_one({"_id": email})
        if claim is None:
            return None
        return await self.user(claim["user_id"])

    async def user(self, user_id: str) -> UserRecord | None:
        doc = await self._users.find_one({"_id": user_id})
        return None if doc is None else _user(doc)

    async def set_password_hash(self, user_id: str, password_hash: str) -> None:
        await self._users.update_one({"_id": user_id}, {"$set": {"password_hash": password_hash}})

    async def create_session(
        self,
        session_id: str,
        user_id: str,
        *,
        secret_hash: str,
        csrf_token: str,
        ttl_s: float,
        user_agent: str,
    ) -> SessionRecord:
        created = now_ms()
        doc = {
            "_id": session_id,
            "user_id": user_id,
            "secret_hash": secret_hash,
            "csrf_token": csrf_token,
            "created_ms": created,
            "expires_ms": created + int(ttl_s * 1000),
            "user_agent": user_agent[:200],
        }
        await self._sessions.insert_one(doc)
        return _session(doc)

    async def session(self, session_id: str) -> SessionRecord | None:
        doc = await self._sessions.find_one({"_id": session_id})
        return None if doc is None else _session(doc)

    async def delete_session(self, session_id: str) -> bool:
        result = await self._sessions.delete_one({"_id": session_id})
        return result.deleted_count == 1

    async def session_ids(self, user_id: str) -> list[str]:
        found = self._sessions.find({"user_id": user_id}, projection={"_id": True})
        return [doc["_id"] async for doc in found]

    async def delete_sessions(self, user_id: str) -> None:
        await self._sessions.delete_many({"user_id": user_id})

    async def create_token(
        self,
        token_id: str,
        user_id: str,
        name: str,
        *,
        prefix: str,
        secret_hash: str,
        ttl_s: float | None,
    ) -> TokenRecord:
        created = now_ms()
        doc = {
            "_id": token_id,
            "user_id": user_id,
            "name": name,
            "prefix": prefix,
            "secret_hash": secret_hash,
            "created_ms": created,
            "expires_ms": None if ttl_s is None else created + int(ttl_s * 1000),
            "last_used_ms": None,
        }
        await self._tokens.insert_one(doc)
        return _token(doc)

    async def token(self, token_id: str) -> TokenRecord | None:
        doc = await self._tokens.find_one({"_id": token_id})
        return None if doc is None else _token(doc)

    async def tokens_page(
        self, user_id: str, *, cursor: str | None, limit: int
    ) -> list[TokenRecord]:
        """Newest first, one more than `limit` (to tell whether there is a next page)."""
        found = (
            self._tokens.find({"user_id": user_id, **cursor_filter(cursor, "_id")})
            .sort("_id", DESCENDING)
            .limit(limit + 1)
        )
        return [_token(doc) async for doc in found]

    async def delete_token(self, user_id: str, token_id: str) -> bool:
        result = await self._tokens.delete_one({"_id": token_id, "user_id": user_id})
        return result.deleted_count == 1

    async def touch_token(self, token_id: str, at_ms: int) -> None:
        await self._tokens.update_one({"_id": token_id}, {"$set": {"last_used_ms": at_ms}})


def _user(doc: Doc) -> UserRecord:
    return UserRecord(
        id=doc["_id"],
        email=doc["email"],
        display_name=doc.get("display_name", ""),
        password_hash=doc["password_hash"],
        created_ms=doc["created_ms"],
    )


def _session(doc: Doc) -> SessionRecord:
    return SessionRecord(
        id=doc["_id"],
        user_id=doc["user_id"],
        secret_hash=str(doc.get("secret_hash", "")),
        created_ms=doc["created_ms"],
        expires_ms=doc.get("expires_ms"),
        csrf_token=doc["csrf_token"],
    )


def _token(doc: Doc) -> TokenRecord:
    return TokenRecord(
        id=doc["_id"],
        user_id=doc["user_id"],
        secret_hash=str(doc.get("secret_hash", "")),
        created_ms=doc["created_ms"],
        expires_ms=doc.get("expires_ms"),
        name=doc["name"],
        prefix=doc["prefix"],
        last_used_ms=doc.get("last_used_ms"),
    )
