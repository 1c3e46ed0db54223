"""The public API over HTTP: JSON calls, uploads, downloads and the live event stream.

Every error answer becomes a :class:`CliError` worded from its problem body, and every
connection failure one with `ExitCode.UNAVAILABLE`, so commands only deal with results.
"""

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import httpx
from httpx_sse import ServerSentEvent, connect_sse

from studio_cli import VERSION
from studio_cli.config import Target
from studio_cli.errors import CliError, ExitCode, problem_error

API = "/api/v1"
USER_AGENT = f"studio-cli/{VERSION}"
PAGE = 100
"""The largest page the projects, assets and generations lists give."""
EVENTS_READ_TIMEOUT_S = 60.0
"""Longest silence on the event stream before it counts as dead: the gateway sends a heartbeat
every 15 s by default."""

Params = Mapping[str, str | int | float | bool | None]


class StudioClient:
    def __init__(
        self, target: Target, *, timeout: float = 30.0, transport: httpx.BaseTransport | None = None
    ) -> None:
        headers = {"User-Agent": USER_AGENT}
        if target.token:
            # `resolve_target` made sure a header can carry it: httpx's own error for one it
            # cannot would quote the whole header, the secret included.
            headers["Authorization"] = f"Bearer {target.token}"
        self.target = target
        self._http = httpx.Client(
            base_url=target.url, headers=headers, timeout=timeout, transport=transport
        )

    def __enter__(self) -> "StudioClient":
        return self

    def __exit__(self, *_: object) -> None:
        self._http.close()

    def get(self, path: str, params: Params | None = None, *, shape: type = dict) -> Any:
        """The JSON answer, which must be a `shape` (an object; a list for the few routes that
        answer one)."""
        return self._json("GET", path, shape=shape, params=_query(params))

    def list_all(
        self, path: str, query: Params | None = None, *, most: int | None = None
    ) -> list[dict[str, Any]]:
        """Every item of a `{items, next_cursor}` list, following the cursors (or the first
        `most` items)."""
        items: list[dict[str, Any]] = []
        cursor: str | None = None
        while True:
            limit = PAGE if most is None else min(PAGE, most - len(items))
            page = self.get(path, {**(query or {}), "limit": limit, "cursor": cursor})
            items.extend(page["items"])
            cursor = page.get("next_cursor")
            if not cursor or (most is not None and len(items) >= most):
                return items

    def post(
        self, path: str, body: dict[str, Any] | None = None, headers: dict[str, str] | None = None
    ) -> Any:
        return self._json("POST", path, json=body if body is not None else {}, headers=headers)

    def delete(self, path: str) -> None:
        self.send("DELETE", path)

    def upload(self, project_id: str, file: Path) -> dict[str, Any]:
        """Upload `file` as an asset of the project; the new asset."""
        try:
            handle = file.open("rb")
        except OSError as exc:
            raise CliError(f"cannot read {file}: {exc.strerror}", ExitCode.USAGE) from exc
        with handle:
            # A real file object lets httpx send a Content-Length, which the gateway requires.
            asset: dict[str, Any] = self._json(
                "POST",
                f"{API}/projects/{segment(project_id)}/assets",
                files={"file": (file.name, handle)},
            )
        return asset

    def download(self, asset_id: str, destination: Path) -> int:
        """Write the asset's bytes to `destination` (via a `.part` file renamed at the end, so
        an interrupted download never looks complete); the number of bytes written."""
        partial = destination.with_name(destination.name + ".part")
        written = 0
        try:
            with (
                self._stream("GET", f"{API}/assets/{segment(asset_id)}/content") as response,
                partial.open("wb") as file,
            ):
                for chunk in response.iter_bytes():
                    file.write(chunk)
                    written += len(chunk)
            os.replace(partial, destination)
        except OSError as exc:
            raise CliError(f"cannot write {destination}: {exc.strerror}", ExitCode.USAGE) from exc
        finally:
            partial.unlink(missing_ok=True)
        return written

    def write_content(self, asset_id: str, sink: Any) -> int:
        """Stream the asset's bytes into a binary file object (e.g. stdout)."""
        written = 0
        with self._stream("GET", f"{API}/assets/{segment(asset_id)}/content") as response:
            for chunk in response.iter_bytes():
                sink.write(chunk)
                written += len(chunk)
        return written

    @contextmanager
    def events(
        self, params: Params | None = None, last_event_id: str | None = None
    ) -> Iterator[Iterator[ServerSentEvent]]:
        """The live event stream; yields its events (heartbeats left out) as they arrive."""
        headers = {"Last-Event-ID": last_event_id} if last_event_id else {}
        timeout = httpx.Timeout(10.0, read=EVENTS_READ_TIMEOUT_S)
        with (
            self._connection_errors(),
            connect_sse(
                self._http,
                "GET",
                f"{API}/events",
                params=_query(params),
                headers=headers,
                timeout=timeout,
            ) as source,
        ):
            self._check(source.response, f"{API}/events", streamed=True)
            yield self._live(source.iter_sse())

    def _live(self, events: Iterator[ServerSentEvent]) -> Iterator[ServerSentEvent]:
        # Errors are turned into CliErrors here, as each event is read: a caller reading the
        # stream outside the `events()` block would otherwise see raw httpx errors.
        with self._connection_errors():
            for event in events:
                # Heartbeats are not events: `ping`, or, from an older gateway, a comment that
                # httpx-sse hands out as an empty "message".
                if event.event != "ping" and (event.data or event.event != "message"):
                    yield event

    def _json(self, method: str, path: str, *, shape: type = dict, **kwargs: Any) -> Any:
        """The JSON answer, which must be a `shape`: every route called through here answers
        one, so an empty body (even a 204) is no answer of the studio's either."""
        response = self.send(method, path, **kwargs)
        try:
            answer = response.json() if response.content else None
        except ValueError:
            answer = None
        # The studio's answers have the shape each route documents. Anything else means
        # something else listens at --url (a web page, another program's JSON): say so, with the
        # exit code of a studio that cannot be used, not a traceback further on.
        if not isinstance(answer, shape):
            what = response.headers.get("content-type") or "no content type"
            raise CliError(
                f"{self.target.url} answered {path} with something other than the studio's JSON "
                f"({what if response.content else 'an empty answer'}); is it the studio's "
                "address?",
                ExitCode.UNAVAILABLE,
            )
        return answer

    def send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """One request; an error answer (or a redirect) raises its :class:`CliError`."""
        with self._connection_errors():
            response = self._http.request(method, path, **kwargs)
        self._check(response, path)
        return response

    @contextmanager
    def _stream(self, method: str, path: str) -> Iterator[httpx.Response]:
        with self._connection_errors(), self._http.stream(method, path) as response:
            self._check(response, path, streamed=True)
            yield response

    def _check(self, response: httpx.Response, path: str, *, streamed: bool = False) -> None:
        """Raise the :class:`CliError` of an answer that is not a success. A redirect is one:
        httpx does not follow them, and the studio never sends one, so its empty body would
        otherwise pass for the answer (an empty download, no JSON)."""
        if response.is_success:
            return
        if response.is_redirect:
            raise redirect_error(self.target.url, path, response)
        if streamed:
            response.read()
        if response.is_error:
            raise problem_error(response)
        raise CliError(
            f"{self.target.url} answered {path} with HTTP {response.status_code}, which the "
            "studio never sends; is it the studio's address?",
            ExitCode.UNAVAILABLE,
        )

    @contextmanager
    def _connection_errors(self) -> Iterator[None]:
        try:
            yield
        except httpx.TransportError as exc:
            reason = str(exc) or type(exc).__name__
            if self.target.token:  # never printed, whatever an error quotes
                reason = reason.replace(self.target.token, "sst_…")
            raise CliError(
                f"cannot reach the studio at {self.target.url}: {reason}",
                ExitCode.UNAVAILABLE,
                ["Is it running? `make run` starts one here; --url / STUDIO_URL picks another."],
            ) from exc


def redirect_error(url: str, path: str, response: httpx.Response) -> CliError:
    """The error of a redirect: where it points, and the `--url` to use when it points to the
    same route elsewhere (http:// to https://, another host)."""
    location = response.headers.get("location")
    if not location:
        return CliError(
            f"{url} answered {path} with a redirect ({response.status_code}) to nowhere; is it "
            "the studio's address?",
            ExitCode.UNAVAILABLE,
        )
    target = response.request.url.join(location)
    hint = "is it the studio's address?"
    if target.path.endswith(unquote(path)):
        base = target.copy_with(path=target.path.removesuffix(unquote(path)), query=None)
        hint = f"if the studio is there, use --url {str(base).rstrip('/')}"
    return CliError(
        f"{url} answered {path} with a redirect to {target}: {hint}", ExitCode.UNAVAILABLE
    )


def segment(value: str, *, safe: str = "") -> str:
    """`value` as one path segment: an id typed by a person cannot name another route."""
    return quote(value, safe=safe)


def model_path(model_id: str) -> str:
    # Model ids are paths themselves (`fal-ai/flux/dev`); the gateway refuses dot segments.
    return f"{API}/models/{segment(model_id, safe='/')}"


def _query(params: Params | None) -> dict[str, str | int | float] | None:
    """Query parameters without the unset ones, booleans as the API spells them."""
    if params is None:
        return None
    return {
        key: ("true" if value else "false") if isinstance(value, bool) else value
        for key, value in params.items()
        if value is not None
    }
