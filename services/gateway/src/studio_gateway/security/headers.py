"""Security and caching headers on every answer of the gateway (a pure ASGI middleware).

- `X-Content-Type-Options: nosniff` everywhere: a browser must never guess that a download or a
  problem body is HTML or script.
- `Cache-Control: no-store` on every `/api/v1` answer that does not set its own caching: they
  are one user's data (`/me`, tokens, projects, lists, generations), which no shared cache and
  no browser disk should keep. The exceptions set their own or are public: downloads and
  thumbnails (`private, max-age=3600`, from the assets service), and the model catalog and the
  API document, the same for everyone.
- `Strict-Transport-Security` everywhere when the studio is HTTPS-only (accounts mode with
  secure cookies, `GatewaySettings.strict_transport`). Sent by the gateway rather than left to
  the TLS proxy, since only the gateway knows the studio is meant for HTTPS and every
  deployment (compose, Kubernetes ingress, any proxy) then gets it; browsers ignore it on
  plain http, so a gateway reached over http (localhost, a health check) is not affected.
- Every `/api/` answer without a policy of its own gets `API_POLICY`: no script, no plugin, no
  frame, and a sandbox. Nothing the API serves is a page, but a download, a thumbnail or a
  problem body can be opened in a tab of its own (the studio's "Open in a new tab", a shared
  link); whatever a file turned out to hold, it runs nothing with the studio's origin.
  `style-src 'unsafe-inline'` lets the browser's own image and media viewers lay themselves out.
- `/docs` (Swagger UI) gets a Content-Security-Policy allowing only its own files and its one
  inline script (by hash), and may not be framed.

Headers an answer already has are kept (the studio pages send their own, stricter CSP)."""

import base64
import hashlib
import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

PUBLIC_PREFIXES = (
    "/api/v1/models",
    "/api/v1/generation-types",
    "/api/v1/starter-templates",
    "/api/v1/unavailable-models",
    "/api/v1/openapi.json",
)
"""Catalog data and the API document: the same for every caller, so caching is allowed."""
API_POLICY = "default-src 'none'; style-src 'unsafe-inline'; sandbox; frame-ancestors 'none'"
"""The policy of every answer under `/api/` (files and data, never a page)."""
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def docs_policy(html: str) -> str:
    """The CSP for the Swagger UI page `html`: its inline scripts allowed by their hashes."""
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() + "'"
        for script in _INLINE_SCRIPT.findall(html)
    )
    return (
        f"default-src 'self'; script-src 'self' {hashes}; "
        # Swagger UI sets style attributes from its script; its icons are data: images.
        "style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )


class SecurityHeadersMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        docs_path: str,
        docs_policy: str,
        strict_transport: str | None = None,
    ) -> None:
        self.app = app
        self._everywhere = [(b"x-content-type-options", b"nosniff")]
        if strict_transport:
            self._everywhere.append((b"strict-transport-security", strict_transport.encode()))
        self._docs_path = docs_path
        self._docs_headers = [
            (b"content-security-policy", docs_policy.encode()),
            (b"x-frame-options", b"DENY"),
            (b"referrer-policy", b"same-origin"),
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = list(self._everywhere)
        path: str = scope["path"]
        if path == self._docs_path:
            extra += self._docs_headers
        elif path.startswith("/api/"):
            extra.append((b"content-security-policy", API_POLICY.encode()))
            if not path.startswith(PUBLIC_PREFIXES):
                extra.append((b"cache-control", b"no-store"))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(name, value) for name, value in extra if name not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
