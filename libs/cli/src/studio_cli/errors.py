"""Exit codes scripts can rely on, and the one error type every command raises.

A command never calls `sys.exit` itself: it raises :class:`CliError`, and `main.run` prints the
message on stderr and exits with its code, so every failure reads and exits the same way.
"""

import re
from enum import IntEnum
from typing import Any

import httpx
from studio_contracts.problems import PROBLEM_CONTENT_TYPE


class ExitCode(IntEnum):
    OK = 0
    GENERATION_FAILED = 1
    """The generation ended `failed` or `cancelled` (the request itself was fine)."""
    USAGE = 2
    """Bad arguments, or a request the API refused as invalid (400, 409, 413, 415, 422, ...);
    also Click's own code for usage errors."""
    AUTH = 3
    """No valid credentials (401), or not allowed (403)."""
    NOT_FOUND = 4
    """The project, model, asset or generation does not exist, or is not yours (404), or no
    longer exists (410)."""
    UNAVAILABLE = 5
    """The studio could not be reached or could not answer: connection errors, timeouts, 5xx,
    and 429 (over a limit: try again later); or something other than the studio answers."""
    INTERRUPTED = 130
    """Ctrl-C (128 + SIGINT, as shells report it)."""
    BROKEN_PIPE = 141
    """Whatever read stdout stopped reading (`studio events | head -1`): 128 + SIGPIPE, as
    shells report a command that a broken pipe ended. Nothing is printed."""


class CliError(Exception):
    """A failure to report on stderr: one message, optional detail lines, an exit code; and
    the HTTP status it came from, if any."""

    def __init__(
        self,
        message: str,
        code: ExitCode,
        lines: list[str] | None = None,
        *,
        status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.lines = lines or []
        self.status = status


def exit_code_for(status: int) -> ExitCode:
    """The exit code of an HTTP error status the studio answered."""
    if status in (401, 403):
        return ExitCode.AUTH
    if status in (404, 410):
        return ExitCode.NOT_FOUND
    if status == 429 or status >= 500:
        return ExitCode.UNAVAILABLE
    return ExitCode.USAGE


_NOT_THE_STUDIO = frozenset({404, 405})
"""Statuses the studio always answers with a problem body: without one, something else answers
at --url (a web server that has no such file), which no retry or other id will change."""

SIGN_IN_HINT = "Sign in with `studio login`, or pass an API token (--token / STUDIO_TOKEN)."

_MORE = re.compile(r" \(and \d+ more\)$")
"""The tail of a summary that lists only the first few field errors."""

_NAMES_WAIT = re.compile(r"\btry again in \d", re.IGNORECASE)
"""A detail that already says how long to wait ("... Try again in 8 s.")."""

_ENDS_TRY_AGAIN = re.compile(r"\b(try again)(?: shortly| later)?\.?$", re.IGNORECASE)
"""A detail that ends by asking to try again, without saying when ("...; try again")."""


def problem_error(response: httpx.Response) -> CliError:
    """A :class:`CliError` from an error answer, worded from its problem body (RFC 9457) when
    it has one: `title: detail`, then one line per bad field. A detail that only summarises
    the bad fields is left out, so no field error is printed twice."""
    if response.status_code in _NOT_THE_STUDIO and not _is_problem(response):
        where = response.request.url.copy_with(query=None)
        return CliError(
            f"{where} answered {response.status_code} without the problem body the studio "
            "always sends; is it the studio's address?",
            ExitCode.UNAVAILABLE,
        )
    body = _problem_body(response)
    title = str(body.get("title") or response.reason_phrase or f"HTTP {response.status_code}")
    detail = str(body.get("detail") or "")
    errors = [error for error in body.get("errors") or [] if isinstance(error, dict)]
    if errors and _only_summarises(detail, errors):
        detail = ""
    message = f"{title}: {detail}" if detail else title
    lines = [_field_line(error) for error in errors]
    if response.status_code == 401:
        lines.append(SIGN_IN_HINT)
    retry_after = response.headers.get("retry-after")
    # The wait is said once: the gateway's limits name it in their detail already; a detail
    # ending in "try again" gets it there; any other gets a line of its own.
    if retry_after and not _NAMES_WAIT.search(detail):
        if _ENDS_TRY_AGAIN.search(message):
            message = _ENDS_TRY_AGAIN.sub(rf"\1 in {retry_after} s.", message)
        else:
            lines.append(f"Try again in {retry_after} s.")
    return CliError(
        message, exit_code_for(response.status_code), lines, status=response.status_code
    )


def _only_summarises(detail: str, errors: list[dict[str, Any]]) -> bool:
    """Whether every `; `-separated part of `detail` restates one of `errors`: the services
    write `loc: msg; loc: msg` (or just the messages), with or without the messages' full
    stops, and may name a field differently there (`params.prompt`) than in its `loc`
    (`body.prompt`)."""
    parts = _MORE.sub("", detail).split("; ")
    if len(parts) > 1 and parts[-1].endswith("\u2026"):  # cut short by the API's length limit
        parts.pop()
    # A message may hold `; ` itself ("this model takes at most 1 image; remove the others"):
    # from each part on, the longest run of parts that restates an error is taken as one.
    start = 0
    while start < len(parts):
        end = next(
            (
                end
                for end in range(len(parts), start, -1)
                if any(_restates("; ".join(parts[start:end]), error) for error in errors)
            ),
            None,
        )
        if end is None:
            return False
        start = end
    return True


def _restates(part: str, error: dict[str, Any]) -> bool:
    message = str(error.get("msg") or "")
    # A summary leaves each message's full stop out but for the last one's (`…: At most 4;`).
    for said in {message, message.removesuffix(".")} - {""}:
        if part == said or part.endswith(f": {said}"):
            return True
    # `params.prompt: <another wording>` for the error at `body.prompt`: the same field.
    where, separator, _ = part.partition(": ")
    loc = error.get("loc")
    if not separator or " " in where or not isinstance(loc, list) or not loc:
        return False
    return where.split(".")[-1] == str(loc[-1])


def _is_problem(response: httpx.Response) -> bool:
    content_type: str = response.headers.get("content-type", "")
    return content_type.split(";")[0].strip().lower() == PROBLEM_CONTENT_TYPE


def _problem_body(response: httpx.Response) -> dict[str, Any]:
    if "json" not in response.headers.get("content-type", ""):
        return {}
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _field_line(error: dict[str, object]) -> str:
    loc = error.get("loc")
    parts = [str(part) for part in loc] if isinstance(loc, list) else []
    # `body`/`query` say where the field travelled, not which field it is.
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:]
    where = ".".join(parts)
    message = str(error.get("msg", ""))
    return f"  {where}: {message}" if where else f"  {message}"
