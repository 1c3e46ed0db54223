"""Session cookies and API tokens: `{id}.{secret}`, of which only the SHA-256 of the secret is
stored.

The secret is 256 random bits, so a fast hash is enough (passwords, which people choose, get
argon2 in `passwords.py`). A credential is looked up by its id, then its secret is compared with
the stored hash in constant time. API tokens carry a prefix (`sst_`) so that they are
recognisable in a header, a log or a secret scanner.
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from studio_runtime.ids import new_id

TOKEN_PREFIX = "sst_"
_SECRET_MAX = 128


@dataclass(frozen=True)
class NewCredential:
    """A credential just made: its secret is known only until it is handed to its owner."""

    id: str
    secret: str

    @property
    def secret_hash(self) -> str:
        return hash_secret(self.secret)

    def value(self, prefix: str = "") -> str:
        return f"{prefix}{self.id}.{self.secret}"


def new_credential() -> NewCredential:
    return NewCredential(id=new_id(), secret=secrets.token_urlsafe(32))


def new_csrf_token() -> str:
    return secrets.token_urlsafe(24)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def split_credential(value: str) -> tuple[str, str] | None:
    """`{id}.{secret}` → (id, secret); None for anything else."""
    credential_id, dot, secret = value.partition(".")
    if not dot or len(credential_id) != 24 or not secret or len(secret) > _SECRET_MAX:
        return None
    return credential_id, secret


def secret_matches(secret_hash: str, secret: str) -> bool:
    return hmac.compare_digest(secret_hash, hash_secret(secret))


def bearer_token(header: str) -> str | None:
    """The API token in an `Authorization: Bearer sst_…` header, without its prefix; None if
    the header holds anything else."""
    scheme, _, value = header.partition(" ")
    value = value.strip()
    if scheme.lower() != "bearer" or not value.startswith(TOKEN_PREFIX):
        return None
    return value.removeprefix(TOKEN_PREFIX)
