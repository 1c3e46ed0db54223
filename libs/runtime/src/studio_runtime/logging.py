"""structlog set-up: readable console lines in development, JSON lines in production.

Standard-library loggers (uvicorn, pymongo, nats) are routed through the same renderer so
every line has one format and carries the bound context (request id, user, ...).

Two rules keep logging from hurting the service it describes:

- Lines are formatted where they are logged (cheap: tracebacks are plain text, without local
  variables; rich tracebacks with locals took seconds per error and printed request headers),
  then written to stderr by one background thread through a bounded queue. A slow or stuck
  reader of stderr therefore never blocks the event loop; when the queue is full, lines are
  dropped and counted (`studio_log_lines_dropped_total`) rather than waited for.
- Secrets never reach a line: values under a sensitive key are replaced, and anything shaped
  like an API token, a session cookie or a signed identity is masked wherever it appears
  (exception messages and tracebacks included).
"""

import atexit
import logging
import queue
import re
import sys
import threading
from typing import Any, TextIO

import structlog
from prometheus_client import Counter

QUEUE_MAX = 10_000
"""Lines waiting for the writer thread; beyond this, new lines are dropped, not waited for."""
WRITE_BATCH_MAX = 1_000
"""Lines written to the stream in one call, at most."""
REDACTED = "[redacted]"
SENSITIVE_KEYS = frozenset(
    {
        "authorization",
        "cookie",
        "set-cookie",
        "password",
        "password_hash",
        "secret",
        "token",
        "csrf_token",
        "x-csrf-token",
        "x-studio-identity",
        "internal_secret",
    }
)
_SECRET_SHAPES = (
    # API tokens (`sst_{id}.{secret}`) and session cookies (`{id}.{secret}`): a record id, a dot
    # and a url-safe secret.
    (re.compile(r"(?:sst_)?[0-9a-f]{24}\.[A-Za-z0-9_-]{16,}"), REDACTED),
    # Signed identities: base64url JSON (`{"...` is `eyJ`), a dot, base64url HMAC.
    (re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}"), REDACTED),
    # Anything announced as a bearer credential.
    (re.compile(r"(?i)(bearer )[^\s'\",]+"), rf"\1{REDACTED}"),
    # A sensitive field inside text that is itself JSON or a repr (a command, a header list).
    (
        re.compile(
            r"(?i)([\"'](?:password|password_hash|secret|secret_hash|token|csrf_token|cookie"
            r"|set-cookie|authorization|x-studio-identity|x-csrf-token)[\"']\s*[:,=]\s*"
            r"b?[\"'])[^\"']+"
        ),
        rf"\1{REDACTED}",
    ),
)

_ANY_SECRET = re.compile(
    "|".join(
        f"(?i:{shape.pattern.removeprefix('(?i)')})"
        if shape.pattern.startswith("(?i)")
        else f"(?:{shape.pattern})"
        for shape, _ in _SECRET_SHAPES
    )
)
"""Whether any of the shapes occurs: one search, so that the usual value (no secret in it)
costs one pass instead of one per shape (redaction was 40 % of a log line's cost)."""

DROPPED = Counter("studio_log_lines_dropped_total", "Log lines dropped because stderr was slow")

_writer: "_Writer | None" = None


def configure_logging(*, service: str, json: bool, level: str = "info") -> None:
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _add_service(service),
    ]
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer()
        if json
        else structlog.dev.ConsoleRenderer(
            colors=sys.stderr.isatty(), exception_formatter=structlog.dev.plain_traceback
        )
    )
    # Both modes: a plain traceback as a string, so it is redacted like any value.
    finish: list[structlog.types.Processor] = [structlog.processors.format_exc_info, redact]
    # Our own lines go straight from structlog to the writer: through the standard library
    # (a LogRecord, the caller's frame looked up, handlers) a line cost about twice as much.
    structlog.configure(
        processors=[*shared, *finish, renderer],
        logger_factory=_LineLogger,
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *finish, renderer],
    )
    _start_writer(formatter)
    root = logging.getLogger()
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    # Access lines duplicate our own request log line; httpx logs every call at info.
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # pymongo's debug lines are whole commands and replies: people's data and CSRF tokens.
    logging.getLogger("pymongo").setLevel(max(logging.INFO, root.level))


def redact(_logger: object, _name: str, event: structlog.types.EventDict) -> Any:
    """Replace secrets in every value of a log line (a structlog processor)."""
    return {key: _clean(key, value) for key, value in event.items()}


def _clean(key: object, value: object) -> object:
    if isinstance(key, str) and key.lower() in SENSITIVE_KEYS and value:
        return REDACTED
    if isinstance(value, str):
        if _ANY_SECRET.search(value) is None:
            return value
        for shape, replacement in _SECRET_SHAPES:
            value = shape.sub(replacement, value)
        return value
    if isinstance(value, dict):
        return {k: _clean(k, v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(None, v) for v in value]
    return value


def _enqueue(line: str) -> None:
    """Hand a finished line to the writer thread; never wait (a full queue drops it)."""
    if _writer is None:
        return
    # A SimpleQueue (C, no Python-level condition variable) costs the logging thread a fraction
    # of what queue.Queue does per line; its bound is checked here instead.
    if _writer.lines.qsize() >= QUEUE_MAX:
        DROPPED.inc()
    else:
        _writer.lines.put(line)


class _LineLogger:
    """The end of structlog's chain for our own loggers: the line, rendered in the caller's
    thread (the bound context is there), goes to the writer."""

    def __init__(self, name: str = "", *_args: object) -> None:
        self.name = name  # what `add_logger_name` reports

    def msg(self, line: str) -> None:
        _enqueue(line)

    debug = info = warning = warn = error = critical = fatal = exception = log = msg


class _LineQueueHandler(logging.Handler):
    """The same for the standard library's loggers (uvicorn, pymongo, nats)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record)
        except Exception:
            self.handleError(record)
            return
        _enqueue(line)


class _Writer(threading.Thread):
    """Writes the queued lines to a stream: the only place a slow stderr can make anyone wait.
    Every line waiting when it wakes goes out in one write (one system call, not one per
    line)."""

    def __init__(self, lines: "queue.SimpleQueue[str | None]", stream: TextIO) -> None:
        super().__init__(name="log-writer", daemon=True)
        self.lines = lines
        self._stream = stream

    def run(self) -> None:
        while True:
            batch = [self.lines.get()]
            while len(batch) < WRITE_BATCH_MAX and not self.lines.empty():
                batch.append(self.lines.get_nowait())
            done = None in batch
            text = "".join(f"{line}\n" for line in batch if line is not None)
            try:
                self._stream.write(text)
                self._stream.flush()
            except (OSError, ValueError):  # stderr closed or broken: the lines are lost
                DROPPED.inc(len(batch) - done)
            if done:
                return

    def stop(self, timeout_s: float = 2.0) -> None:
        """Write what is queued, then end; never wait long for a stuck stream (the thread is a
        daemon and does not keep the process alive)."""
        self.lines.put(None)
        self.join(timeout_s)


def _start_writer(formatter: logging.Formatter) -> None:
    """Route every log line through the queue to one writer thread (replacing an earlier one:
    tests build several apps in one process)."""
    global _writer
    if _writer is not None:
        _writer.stop()
    handler = _LineQueueHandler()
    handler.setFormatter(formatter)
    _writer = _Writer(queue.SimpleQueue(), sys.stderr)
    _writer.start()
    logging.getLogger().handlers[:] = [handler]


@atexit.register
def _flush_at_exit() -> None:
    if _writer is not None:
        _writer.stop()


def _add_service(service: str) -> structlog.types.Processor:
    def processor(
        _logger: object, _name: str, event: structlog.types.EventDict
    ) -> structlog.types.EventDict:
        event.setdefault("service", service)
        return event

    return processor
