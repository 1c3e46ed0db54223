"""The fal provider against `httpx.MockTransport`: submit, status polling, result; 429 with
Retry-After, 5xx retried, cancel; and `parse_retry_after`. No sockets, no servers."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest
from studio_contracts.enums import GenerationType, MediaType
from studio_generation.providers.base import (
    PermanentProviderError,
    ProviderJob,
    ProviderProgress,
    TransientProviderError,
)
from studio_generation.providers.fal import FalHandle, FalProvider
from studio_generation.providers.fal_http import (
    MAX_RETRY_AFTER_S,
    RetryableAnswer,
    parse_retry_after,
    retry_wait,
)

BASE = "https://queue.fal.test"
MODEL = "fal-ai/flux/dev"
KEY = "fal-test-key"
REQUEST = f"{BASE}/{MODEL}/requests/r-1"
IMAGE_URL = "https://cdn.fal.test/out/image.png"

Handler = Callable[[httpx.Request], httpx.Response]


# --- parse_retry_after ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("7", 7.0), ("0", 0.0), ("1.5", 1.5), (" 3 ", 3.0), ("-4", 0.0)],
)
def test_retry_after_in_seconds(value: str, seconds: float) -> None:
    assert parse_retry_after(value) == seconds


@pytest.mark.parametrize("value", [None, "", "soon", "Someday, 99 Foo 2026"])
def test_retry_after_unreadable_or_absent_is_none(value: str | None) -> None:
    assert parse_retry_after(value) is None


def test_retry_after_as_an_http_date() -> None:
    when = datetime.now(UTC) + timedelta(seconds=30)
    seconds = parse_retry_after(format_datetime(when, usegmt=True))
    assert seconds is not None
    assert 25 <= seconds <= 31


def test_retry_after_in_the_past_means_now() -> None:
    when = datetime.now(UTC) - timedelta(hours=1)
    assert parse_retry_after(format_datetime(when, usegmt=True)) == 0.0


def test_the_retry_hook_waits_what_fal_asks_capped() -> None:
    def answer(retry_after: str | None) -> RetryableAnswer:
        headers = {"retry-after": retry_after} if retry_after is not None else {}
        return RetryableAnswer(httpx.Response(429, headers=headers), "HTTP 429")

    assert retry_wait(answer("7")) == 7.0
    assert retry_wait(answer("100000")) == MAX_RETRY_AFTER_S
    assert retry_wait(answer(None)) is True  # the policy's own backoff
    assert retry_wait(RetryableAnswer(None, "ConnectError")) is True
    assert retry_wait(ValueError("not ours")) is False


# --- the provider over a mock transport ----------------------------------------------------


@dataclass
class Events:
    handles: list[str] = field(default_factory=list)
    updates: list[ProviderProgress] = field(default_factory=list)

    async def submitted(self, request_id: str) -> None:
        self.handles.append(request_id)

    async def progress(self, progress: ProviderProgress) -> None:
        self.updates.append(progress)


@dataclass
class FakeQueue:
    """fal's queue API as a MockTransport handler; `statuses` are answered one poll each."""

    statuses: list[dict[str, object]] = field(
        default_factory=lambda: [
            {"status": "IN_QUEUE", "queue_position": 2},
            {"status": "IN_QUEUE", "queue_position": 1},
            {"status": "IN_PROGRESS", "logs": [{"message": "step 1", "timestamp": "t1"}]},
            {"status": "COMPLETED", "logs": [{"message": "step 1", "timestamp": "t1"}]},
        ]
    )
    before: dict[str, list[httpx.Response]] = field(default_factory=dict)
    """Answers given before the real one, by call ("submit", "status", "result", "cancel")."""
    cancel_answer: httpx.Response = field(
        default_factory=lambda: httpx.Response(202, json={"status": "CANCELLATION_REQUESTED"})
    )
    seen: list[tuple[str, str]] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        assert request.headers["authorization"] == f"Key {KEY}"
        call = self._call(request)
        self.seen.append((call, request.method))
        queued = self.before.get(call)
        if queued:
            return queued.pop(0)
        if call == "submit":
            return httpx.Response(
                200,
                json={
                    "request_id": "r-1",
                    "status_url": f"{REQUEST}/status",
                    "response_url": REQUEST,
                    "cancel_url": f"{REQUEST}/cancel",
                },
            )
        if call == "status":
            body = self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
            return httpx.Response(200, json=body)
        if call == "result":
            return httpx.Response(200, json={"images": [{"url": IMAGE_URL}]})
        return self.cancel_answer

    @staticmethod
    def _call(request: httpx.Request) -> str:
        path = request.url.path
        if request.method == "POST" and path == f"/{MODEL}":
            return "submit"
        if path.endswith("/status"):
            return "status"
        if path.endswith("/cancel"):
            return "cancel"
        if path == f"/{MODEL}/requests/r-1":
            return "result"
        raise AssertionError(f"unexpected {request.method} {request.url}")

    def calls(self, name: str) -> int:
        return sum(call == name for call, _ in self.seen)


def provider(queue: Handler, *, retries: int = 4) -> FalProvider:
    client = httpx.AsyncClient(transport=httpx.MockTransport(queue))
    return FalProvider(
        client,
        base_url=BASE,
        storage_url=BASE,
        key=KEY,
        poll_interval_s=0.001,
        max_poll_interval_s=0.001,
        request_retries=retries,
        retry_backoff_s=0.001,
        max_retry_backoff_s=0.001,
        max_wait_s=30,
    )


def job() -> ProviderJob:
    return ProviderJob(
        generation_id="g-1",
        model_id=MODEL,
        type=GenerationType.TEXT_TO_IMAGE,
        output=MediaType.IMAGE,
        params={"prompt": "a lighthouse"},
    )


async def test_submit_poll_and_result() -> None:
    queue = FakeQueue()
    events = Events()
    outputs = await provider(queue).run(job(), events)
    assert [output.url for output in outputs] == [IMAGE_URL]
    assert outputs[0].media_type is MediaType.IMAGE
    assert len(events.handles) == 1, "the request handle is stored before waiting"
    assert "r-1" in events.handles[0]
    positions = [u.queue_position for u in events.updates if u.queue_position is not None]
    assert positions == [2, 1]
    logs = [line for u in events.updates for line in u.logs]
    assert logs == ["step 1"], "a log line is reported once, however often fal repeats it"
    assert (queue.calls("submit"), queue.calls("status"), queue.calls("result")) == (1, 4, 1)


async def test_a_rate_limited_poll_is_retried_after_retry_after() -> None:
    limited = httpx.Response(429, headers={"retry-after": "0"}, json={"detail": "slow down"})
    queue = FakeQueue(before={"status": [limited, limited]})
    outputs = await provider(queue).run(job(), Events())
    assert [output.url for output in outputs] == [IMAGE_URL]
    assert queue.calls("status") == 2 + 4


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_server_errors_of_status_and_result_calls_are_retried(status: int) -> None:
    failing = httpx.Response(status, json={"detail": "try again"})
    queue = FakeQueue(before={"status": [failing], "result": [failing]})
    outputs = await provider(queue).run(job(), Events())
    assert [output.url for output in outputs] == [IMAGE_URL]
    assert queue.calls("result") == 2


async def test_a_submission_rejected_with_5xx_is_retried() -> None:
    queue = FakeQueue(before={"submit": [httpx.Response(503, json={"detail": "busy"})]})
    await provider(queue).run(job(), Events())
    assert queue.calls("submit") == 2


async def test_a_submission_that_timed_out_at_fal_is_not_resubmitted() -> None:
    # fal may hold the request without us knowing its id: paying twice is worse than failing.
    queue = FakeQueue(before={"submit": [httpx.Response(504, json={"detail": "timeout"})]})
    with pytest.raises(TransientProviderError):
        await provider(queue).run(job(), Events())
    assert queue.calls("submit") == 1


async def test_retries_end_in_a_transient_error() -> None:
    down = [httpx.Response(503, json={"detail": "down"}) for _ in range(3)]
    queue = FakeQueue(before={"status": down})
    # fal answered each time: the words say it had an error, not that it did not answer.
    with pytest.raises(TransientProviderError, match=r"^fal\.ai had an error \(HTTP 503\)\.$"):
        await provider(queue, retries=2).run(job(), Events())
    assert queue.calls("status") == 3


async def test_a_validation_error_is_permanent_and_not_retried() -> None:
    invalid = httpx.Response(
        422, json={"detail": [{"loc": ["body", "prompt"], "msg": "too long", "type": "x"}]}
    )
    queue = FakeQueue(before={"submit": [invalid]})
    with pytest.raises(PermanentProviderError, match="Prompt: too long"):
        await provider(queue).run(job(), Events())
    assert queue.calls("submit") == 1


async def test_cancel_before_start_is_taken() -> None:
    queue = FakeQueue()
    fal = provider(queue)
    events = Events()
    queue.statuses = [{"status": "COMPLETED"}]
    await fal.run(job(), events)
    assert await fal.cancel(events.handles[0]) is True
    assert ("cancel", "PUT") in queue.seen


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(400, json={"status": "ALREADY_COMPLETED"}),
        httpx.Response(200, json={"status": "ALREADY_COMPLETED"}),
        httpx.Response(404, json={"detail": "no such request"}),
    ],
)
async def test_cancel_too_late_says_so(answer: httpx.Response) -> None:
    queue = FakeQueue(cancel_answer=answer)
    queue.statuses = [{"status": "COMPLETED"}]
    fal = provider(queue)
    events = Events()
    await fal.run(job(), events)
    assert await fal.cancel(events.handles[0]) is False


async def test_the_key_goes_to_the_queue_host_only() -> None:
    queue = FakeQueue()
    fal = provider(queue)
    with pytest.raises(PermanentProviderError, match=r"not fal\.ai's queue host"):
        await fal.run(
            ProviderJob(
                generation_id="g-2",
                model_id=MODEL,
                type=GenerationType.TEXT_TO_IMAGE,
                output=MediaType.IMAGE,
                params={"prompt": "x"},
                resume_request_id=FalHandle(
                    request_id="r-9",
                    status_url="https://elsewhere.test/status",
                    response_url="https://elsewhere.test/r",
                    cancel_url="https://elsewhere.test/r/cancel",
                ).encode(),
            ),
            Events(),
        )
    assert queue.seen == []
