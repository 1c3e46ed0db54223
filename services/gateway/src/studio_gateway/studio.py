"""The web studio: the HTML shell for the `/studio` routes (one per page, each preloading the
modules that page needs: `module_graph`), and its static files.

The studio is a no-build front end (native ES modules, CSS with design tokens) that talks to the
public API like any other client. Its files are read once, when the app is built: each gets its
gzip form and ETag, and the whole tree a short content hash, `build`, that prefixes every static
URL (`/static/{build}/js/app.js`). Relative module imports inherit the prefix, so every file can
be cached for a year as immutable, while the shell itself is served `no-cache`.
"""

import gzip
import hashlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import RedirectResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from studio_runtime.errors import on_http_error, problem_response
from studio_runtime.http_caching import accepts_gzip, etag_matches

from studio_gateway.module_graph import NOT_FOUND, ModuleGraph

WEB_DIR = Path(__file__).parent / "web"
BUILD_PLACEHOLDER = "{{build}}"
PRELOADS_PLACEHOLDER = "{{modulepreloads}}"
"""Replaced by a `modulepreload` link for every module the page asked for needs at once
(`module_graph`)."""

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
    "media-src 'self' blob:; connect-src 'self'; font-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    # A page on another site that opened the studio (or that the studio opened) gets no handle
    # on its window: no tab-nabbing through window.opener, no cross-window probing.
    "Cross-Origin-Opener-Policy": "same-origin",
    # Powerful features the studio never uses stay off, even for a script that got in.
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
}
IMMUTABLE = "public, max-age=31536000, immutable"

_CONTENT_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".json": "application/json",
    ".webmanifest": "application/manifest+json",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".woff2": "font/woff2",
    ".txt": "text/plain; charset=utf-8",
}
_COMPRESSIBLE = {".js", ".css", ".svg", ".json", ".webmanifest", ".txt", ".html"}


@dataclass(frozen=True)
class StaticFile:
    body: bytes
    gzipped: bytes | None
    etag: str
    content_type: str


@dataclass(frozen=True)
class StudioFiles:
    """The shell and the static tree, read and prepared once."""

    build: str
    shells: dict[str, StaticFile]
    """The shell for each page (`ModuleGraph.pages()`), with that page's module preloads."""
    files: dict[str, StaticFile]
    graph: ModuleGraph

    def shell_for(self, path: str) -> StaticFile:
        """The shell for the URL path `path`."""
        return self.shells[self.graph.page_of(path)]

    @classmethod
    def load(cls, web_dir: Path = WEB_DIR) -> "StudioFiles":
        static_dir = web_dir / "static"
        raw = {
            path.relative_to(static_dir).as_posix(): path.read_bytes()
            for path in sorted(static_dir.rglob("*"))
            if path.is_file()
            and not any(part.startswith(".") for part in path.relative_to(static_dir).parts)
        }
        tree = hashlib.sha256()
        for name, body in raw.items():
            tree.update(name.encode() + b"\0" + hashlib.sha256(body).digest())
        build = tree.hexdigest()[:12]
        graph = ModuleGraph(raw)
        template = (web_dir / "index.html").read_text("utf-8")
        shells = {
            page: _prepare(
                template.replace(PRELOADS_PLACEHOLDER, _module_preloads(graph.needed(page)))
                .replace(BUILD_PLACEHOLDER, build)
                .encode(),
                ".html",
            )
            for page in graph.pages()
        }
        return cls(
            build=build,
            shells=shells,
            files={name: _prepare(body, PurePosixPath(name).suffix) for name, body in raw.items()},
            graph=graph,
        )


def build_router(studio: StudioFiles) -> APIRouter:
    """`/` → `/studio`; the shell for `/studio` and below; `/static/{build}/…`."""
    router = APIRouter(include_in_schema=False)

    @router.get("/")
    async def root() -> RedirectResponse:
        return RedirectResponse("/studio", status_code=307)

    @router.get("/studio")
    @router.get("/studio/{path:path}")
    async def shell(request: Request) -> Response:
        headers = {**SECURITY_HEADERS, "Cache-Control": "no-cache"}
        return _send(request, studio.shell_for(request.url.path), headers)

    @router.get("/static/{build}/{path:path}")
    async def static(build: str, path: str, request: Request) -> Response:
        found = studio.files.get(path) if _is_clean(path) else None
        if found is None:
            return problem_response(404, "No such studio file.", code="not-found")
        # An old tab may still ask for files of the previous build: answer, but do not let a
        # cache keep today's file under yesterday's name.
        cache = IMMUTABLE if build == studio.build else "no-cache"
        return _send(request, found, {"Cache-Control": cache, "X-Content-Type-Options": "nosniff"})

    return router


NOT_PAGES = ("/api/", "/static/", "/internal/")
"""Paths that are never pages: a miss there is always the API's problem body."""


def install_not_found_page(app: FastAPI, files: StudioFiles) -> None:
    """A person who follows a wrong link (`/projects`, `/studio-old`) sees the studio's own
    not-found page, with a way back, instead of the API's JSON: a browser asking for HTML at an
    unknown path gets the shell with status 404, and the router renders "not found" there.
    Programs (anything not asking for HTML) and every API path keep the problem body."""

    async def on_error(request: Request, exc: StarletteHTTPException) -> Response:
        if (
            exc.status_code == 404
            and request.method in {"GET", "HEAD"}
            and not request.url.path.startswith(NOT_PAGES)
            and _wants_html(request.headers.get("accept"))
        ):
            headers = {**SECURITY_HEADERS, "Cache-Control": "no-cache"}
            return _send(request, files.shells[NOT_FOUND], headers, status=404)
        return await on_http_error(request, exc)

    app.add_exception_handler(StarletteHTTPException, on_error)  # type: ignore[arg-type]


def _wants_html(accept: str | None) -> bool:
    return any(
        item.split(";")[0].strip().lower() == "text/html" for item in (accept or "").split(",")
    )


def _module_preloads(modules: list[str]) -> str:
    return "\n".join(
        f'<link rel="modulepreload" href="/static/{BUILD_PLACEHOLDER}/{name}">' for name in modules
    )


def _prepare(body: bytes, suffix: str) -> StaticFile:
    content_type = "text/html; charset=utf-8" if suffix == ".html" else None
    content_type = content_type or _CONTENT_TYPES.get(suffix, "application/octet-stream")
    gzipped = gzip.compress(body, compresslevel=9, mtime=0) if suffix in _COMPRESSIBLE else None
    if gzipped is not None and len(gzipped) >= len(body):
        gzipped = None
    return StaticFile(body, gzipped, hashlib.sha256(body).hexdigest()[:20], content_type)


def _is_clean(path: str) -> bool:
    parts = path.split("/")
    return all(part and not part.startswith(".") and "\\" not in part for part in parts)


def _send(
    request: Request, file: StaticFile, headers: dict[str, str], *, status: int = 200
) -> Response:
    use_gzip = file.gzipped is not None and accepts_gzip(request.headers.get("accept-encoding"))
    headers = {**headers, "Vary": "Accept-Encoding"}
    if status == 200:  # only a found file has a version to revalidate
        etag = f'"{file.etag}-gz"' if use_gzip else f'"{file.etag}"'
        headers["ETag"] = etag
        if etag_matches(request.headers.get("if-none-match"), etag):
            return Response(status_code=304, headers=headers)
    if use_gzip:
        assert file.gzipped is not None
        headers["Content-Encoding"] = "gzip"
        return Response(file.gzipped, status, media_type=file.content_type, headers=headers)
    return Response(file.body, status, media_type=file.content_type, headers=headers)
