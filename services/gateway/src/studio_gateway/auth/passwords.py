"""Password hashing: argon2id (memory-hard) through argon2-cffi, off the event loop.

Hashing takes tens of milliseconds and tens of MiB on purpose; it runs in a thread so one
sign-in does not stall every other request. A failed look-up still spends the same work on a
dummy hash, so response times do not tell which e-mail addresses have accounts."""

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
_DUMMY = _hasher.hash("not a password anybody has")


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_hasher.hash, password)


async def verify_password(password_hash: str | None, password: str) -> bool:
    """True if `password` matches; with no hash (unknown account) spends the time and says no."""
    return await asyncio.to_thread(_verify, password_hash, password)


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def _verify(password_hash: str | None, password: str) -> bool:
    try:
        _hasher.verify(password_hash or _DUMMY, password)
    except (VerificationError, InvalidHashError):
        return False
    return password_hash is not None
