"""HTTP to fal's queue: the `Authorization: Key` header, retries with backoff, and turning fal's
error answers into `ProviderError`s the worker understands.

Kept apart from the polling logic in `fal.py` so the rules "what is retried, what is final, what
the user is told" live in one place and match docs/fal-provider.md. Retries follow the one
policy of `studio_runtime.retrying`, waiting what fal's `Retry-After` asks for when it sends one.
"""

import math
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from enum import Enum
from typing import Any
from urllib.parse import urlsplit

import httpx
import structlog
from studio_runtime.retrying import a_few_times

from studio_generation.providers.base import (
    PermanentProviderError,
    ProviderError,
    TransientProviderError,
    sentence,
)

log = structlog.get_logger(__name__)

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
"""Answers that say "not now": fal's infrastructure, not the request, is the problem."""

MAX_RETRY_AFTER_S = 60.0
"""A Retry-After longer than this is cut down: a worker slot must not sleep for ever."""

CODE_VALIDATION = "provider_validation"
CODE_AUTH = "provider_auth"
CODE_CANCELLED = "provider_cancelled"
CODE_REQUEST_FAILED = "provider_request_failed"
"""Transient, but the fal request itself is dead: the worker must submit anew, not resume."""


class Call(Enum):
    """Which queue call is made; decides what may be retried."""

    SUBMIT = "submit"
    STATUS = "status"
    RESULT = "result"
    CANCEL = "cancel"
    UPLOAD = "upload"
    """Asking fal's storage for an upload slot: harmless to repeat."""


@dataclass(frozen=True)
class RetryPolicy:
    retries: int = 4
    """Retries after the first try."""
    backoff_s: float = 0.5
    max_backoff_s: float = 8.0


RetryNotice = Callable[[str], Awaitable[None]]
"""Told, before each quick retry, a line for the person waiting: what fal answered and when the
call is made again (the provider passes it on as progress)."""


class RetryableAnswer(Exception):
    """A call that failed in a way worth repeating: no answer, or a "not now" status."""

    def __init__(self, response: httpx.Response | None, reason: str) -> None:
        super().__init__(reason)
        self.response = response
        self.reason = reason


def retry_wait(exc: Exception) -> bool | float:
    """The retry hook: retry what is retryable, after fal's Retry-After when it sends one
    (capped), else after the policy's backoff."""
    if not isinstance(exc, RetryableAnswer):
        return False
    if exc.response is not None:
        retry_after = parse_retry_after(exc.response.headers.get("retry-after"))
        if retry_after is not None:
            return min(retry_after, MAX_RETRY_AFTER_S)
    return True


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header: delta-seconds (fractions accepted) or an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


class FalHttp:
    """Sends one queue call, retrying what is worth retrying, and raises mapped errors."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        base_url: str,
        key: str,
        policy: RetryPolicy,
        storage_url: str | None = None,
    ) -> None:
        self._client = client
        self.base_url = base_url.rstrip("/")
        self._key = key
        self._policy = policy
        self._origins = {origin(self.base_url)}
        if storage_url:
            self._origins.add(origin(storage_url))

    def on_queue_host(self, url: str) -> bool:
        """Only URLs on the queue host (or fal's storage API) get the key; anything else, the
        signed upload URLs and media URLs included, would leak it."""
        return origin(url) in self._origins

    async def send(
        self,
        call: Call,
        method: str,
        url: str,
        *,
        json: Mapping[str, Any] | None = None,
        params: Mapping[str, str] | None = None,
        on_retry: RetryNotice | None = None,
    ) -> httpx.Response:
        """The final answer to one call, error statuses included for the caller to read
        (`raise_for_fal` maps them); raises `TransientProviderError` once retries are spent.
        `on_retry` hears of each retry before its wait: the retries take seconds (about 8 s
        with the default policy), which a card must not spend saying only "Starting"."""
        if not self.on_queue_host(url):
            raise PermanentProviderError(
                f"The request to fal.ai was not sent: {urlsplit(url).netloc} is not fal.ai's "
                "queue host, and the key goes nowhere else."
            )
        headers = {"Authorization": f"Key {self._key}"}
        attempts = a_few_times(
            retry_wait,
            attempts=self._policy.retries + 1,
            wait_initial_s=self._policy.backoff_s,
            wait_max_s=self._policy.max_backoff_s,
        )
        try:
            async for attempt in attempts:
                with attempt:
                    try:
                        return await self._once(call, method, url, json, params, headers)
                    except RetryableAnswer as exc:
                        if attempt.num <= self._policy.retries:
                            log.warning(
                                "fal_call_retry",
                                call=call.value,
                                attempt=attempt.num,
                                reason=exc.reason,
                            )
                            if on_retry is not None:
                                await self._notify(
                                    on_retry, exc, attempt.num + 1, attempt.next_wait
                                )
                        raise
        except RetryableAnswer as exc:
            raise _transient(call, exc.response, exc.__cause__) from exc
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def _notify(
        self, on_retry: RetryNotice, exc: RetryableAnswer, next_try: int, backoff_s: float
    ) -> None:
        hook = retry_wait(exc)
        # Retry-After when fal sent one, else the policy's backoff (without its jitter, which
        # adds at most `backoff_s`: "about").
        wait_s = hook if not isinstance(hook, bool) else backoff_s
        line = retry_line(exc.response, wait_s, next_try, self._policy.retries + 1)
        try:
            await on_retry(line)
        except Exception as notice_failed:  # telling is best effort; the retry goes on
            log.warning("fal_retry_notice_failed", error=str(notice_failed))

    async def _once(
        self,
        call: Call,
        method: str,
        url: str,
        json: Mapping[str, Any] | None,
        params: Mapping[str, str] | None,
        headers: Mapping[str, str],
    ) -> httpx.Response:
        """One try: the answer to return, RetryableAnswer, or a final TransientProviderError."""
        try:
            response = await self._client.request(
                method, url, json=json, params=params, headers=headers
            )
        except httpx.HTTPError as exc:
            if call is Call.SUBMIT and not _surely_not_sent(exc):
                # fal may hold the request already; a resubmit could pay for it twice.
                raise TransientProviderError(
                    f"fal.ai did not answer when the job was sent ({type(exc).__name__})."
                ) from exc
            raise RetryableAnswer(None, f"{type(exc).__name__}: {exc}") from exc
        if call is Call.SUBMIT and response.status_code == 504:
            # The request may exist at fal without us knowing its id: no resubmit here, the
            # worker decides (see docs/fal-provider.md).
            raise _transient(call, response, None)
        if self._retryable(call, response):
            raise RetryableAnswer(response, describe(response))
        return response

    @staticmethod
    def _retryable(call: Call, response: httpx.Response) -> bool:
        if response.status_code not in RETRYABLE_STATUSES:
            return False
        # The result of a finished request that failed in fal's infrastructure is stored:
        # asking again answers the same, so it is final (except rate limiting).
        return not (call is Call.RESULT and response.status_code != 429 and error_type(response))


def retry_line(response: httpx.Response | None, wait_s: float, next_try: int, tries: int) -> str:
    """What the card says while a call is retried, e.g. "fal.ai answered HTTP 503; asking again
    in about 2 s (request 3 of 5)". Its count is of requests, worded apart from the job's own
    "(attempt 2 of 5)" that the same card can show."""
    what = "did not answer" if response is None else f"answered HTTP {response.status_code}"
    wait = max(1, math.ceil(wait_s))
    return f"fal.ai {what}; asking again in about {wait} s (request {next_try} of {tries})"


def _surely_not_sent(exc: httpx.HTTPError) -> bool:
    """Errors raised before a byte of the request left: resubmitting cannot duplicate it."""
    return isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)


def _transient(
    call: Call, response: httpx.Response | None, cause: BaseException | None
) -> TransientProviderError:
    """The error once a call's retries are spent, in words true to what fal did: it did not
    answer, or it answered that it is busy (429) or had an error (5xx). The card shows them
    ("Trying again …: fal.ai is busy (HTTP 429)"), so "did not answer" is kept for no answer."""
    if response is None:
        why = f" ({type(cause).__name__})" if cause is not None else ""
        return TransientProviderError(f"fal.ai did not answer{why}.")
    status = response.status_code
    if call is Call.SUBMIT and status == 504:
        return TransientProviderError(f"fal.ai timed out accepting the job (HTTP {status}).")
    if status == 429:
        return TransientProviderError(f"fal.ai is busy (HTTP {status}).")
    return TransientProviderError(f"fal.ai had an error ({http_status(response)}).")


def http_status(response: httpx.Response) -> str:
    """The status, with fal's error category when it sent one: "HTTP 503, runner_server_error"."""
    category = error_type(response)
    return f"HTTP {response.status_code}" + (f", {category}" if category else "")


def short_detail(response: httpx.Response, limit: int = 160) -> str | None:
    """fal's own words (its `detail`), cut to `limit` characters: a card keeps them short."""
    body = _json(response)
    detail = body.get("detail") if isinstance(body, dict) else None
    if not isinstance(detail, str) or not detail.strip():
        return None
    detail = " ".join(detail.split())
    return detail if len(detail) <= limit else detail[: limit - 1].rstrip() + "…"


def error_type(response: httpx.Response) -> str | None:
    """fal's infrastructure error category, from the header or the body."""
    header: str | None = response.headers.get("x-fal-error-type")
    if header:
        return header
    body = _json(response)
    value = body.get("error_type") if isinstance(body, dict) else None
    return value if isinstance(value, str) else None


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def describe(response: httpx.Response) -> str:
    """One line for logs and messages: status, category, fal's own words."""
    body = _json(response)
    detail = body.get("detail") if isinstance(body, dict) else None
    text = detail if isinstance(detail, str) else response.text[:300]
    category = error_type(response)
    prefix = f"HTTP {response.status_code}" + (f" {category}" if category else "")
    return f"{prefix}: {text}" if text else prefix


def validation_messages(detail: Any) -> list[str]:
    """`field: msg` for each entry of a 422 `detail` list (loc without the leading "body")."""
    if isinstance(detail, str):
        return [detail]
    if not isinstance(detail, list):
        return []
    messages = []
    for item in detail:
        if not isinstance(item, dict):
            continue
        loc = [str(part) for part in item.get("loc", []) if part != "body"]
        msg = str(item.get("msg", "invalid"))
        # Settings as the studio labels them: `aspect_ratio` reads "Aspect ratio".
        field = " ".join(loc).replace("_", " ").capitalize()
        messages.append(f"{field}: {msg}" if loc else msg)
    return messages


def raise_for_fal(response: httpx.Response, *, subject: str = "this model") -> None:
    """Turn a non-2xx answer (after retries) into the ProviderError the worker acts on.
    `subject` is what the call was for, as a card names it ("this model": the card names the
    model beside the message; "fal.ai's file storage")."""
    status = response.status_code
    if status < 400:
        return
    raise map_error(response, subject=subject)


def map_error(response: httpx.Response, *, subject: str = "this model") -> ProviderError:
    """The error for fal's answer, its message a sentence for the card with little of fal's
    own text; the whole answer is logged for the operator."""
    status = response.status_code
    body = _json(response)
    log.info("fal_error_answer", status=status, answer=describe(response))
    if status == 422:
        detail = body.get("detail") if isinstance(body, dict) else None
        messages = validation_messages(detail) or [short_detail(response) or f"HTTP {status}"]
        return PermanentProviderError(
            sentence("The model did not accept these settings. " + "; ".join(messages)),
            code=CODE_VALIDATION,
        )
    if status == 401:
        return PermanentProviderError(
            "fal.ai refused this server's API key (FAL_KEY is missing or wrong); ask the "
            "operator to check it.",
            code=CODE_AUTH,
        )
    if status == 403:
        return PermanentProviderError(
            f"This server's fal.ai API key has no access to {subject}; ask the operator to check "
            "the key's account and scopes.",
            code=CODE_AUTH,
        )
    category = error_type(response)
    if category == "client_cancelled" or status == 499:
        return PermanentProviderError("The request was cancelled at fal.ai.", code=CODE_CANCELLED)
    if status in RETRYABLE_STATUSES:
        # Only reached for a stored infrastructure failure of a finished request.
        return TransientProviderError(
            f"fal.ai failed to run it ({http_status(response)}).", code=CODE_REQUEST_FAILED
        )
    detail = short_detail(response)
    return PermanentProviderError(
        sentence(f"fal.ai refused the job (HTTP {status})" + (f": {detail}" if detail else ""))
    )
