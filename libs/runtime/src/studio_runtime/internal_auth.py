"""The gateway's signed internal identity.

The gateway signs who is calling (user id, request id, expiry) with HMAC-SHA256 under a secret it
shares with the services; services accept a request only when the signature and expiry check out,
so a bare `X-User-Id` header from anywhere else is worth nothing.
Token format: `base64url(json payload) "." base64url(hmac)`.
"""

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass

IDENTITY_HEADER = "x-studio-identity"


class InvalidIdentity(Exception):
    """The identity token is missing, malformed, forged or expired."""


@dataclass(frozen=True)
class Identity:
    user_id: str
    request_id: str | None = None


def sign_identity(
    identity: Identity, secret: str, *, ttl_s: float = 60, now: float | None = None
) -> str:
    issued = time.time() if now is None else now
    payload = {"sub": identity.user_id, "rid": identity.request_id, "exp": issued + ttl_s}
    body = _b64(json.dumps(payload, separators=(",", ":")).encode())
    return f"{body}.{_b64(_mac(secret, body))}"


def verify_identity(token: str, secret: str, *, now: float | None = None) -> Identity:
    body, sep, signature = token.partition(".")
    if not sep or not body or not signature:
        raise InvalidIdentity("malformed identity token")
    try:
        given = _unb64(signature)
    except ValueError as exc:
        raise InvalidIdentity("malformed identity signature") from exc
    if not hmac.compare_digest(given, _mac(secret, body)):
        raise InvalidIdentity("identity signature does not match")
    try:
        payload = json.loads(_unb64(body))
        user_id, expires = payload["sub"], float(payload["exp"])
        request_id = payload.get("rid")
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidIdentity("malformed identity payload") from exc
    if not isinstance(user_id, str) or not user_id:
        raise InvalidIdentity("identity has no user")
    if (time.time() if now is None else now) > expires:
        raise InvalidIdentity("identity token expired")
    return Identity(user_id=user_id, request_id=request_id if isinstance(request_id, str) else None)


def _mac(secret: str, body: str) -> bytes:
    return hmac.new(secret.encode(), body.encode(), hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
