"""Asking another service over NATS request-reply, as the user a call acts for.

For a call on a generation's critical path: between two of our processes a NATS round trip
costs about half of an HTTP call's (1.1 against 2.2 ms on the reference machine,
docs/performance.md), and any replica of the service asked may answer (a queue group), with
no address to configure. A call carries the same signed identity as an HTTP call; its reply
carries a status as HTTP's in the `Studio-Status` header and, when that is not 200, a problem
body. Calls only a service's own processes make use it; everything public stays HTTP.

A process that dies while it holds a call never answers, and NATS does not tell the caller. So
a caller that has waited `probe_after_s` asks, on `<subject>.held`, whether any replica still
holds its call (each call carries an id, `Studio-Call`; every replica hears the question, and
the one holding the call says yes): no yes within `probe_wait_s` and the call fails at once
(`ServiceUnavailable`), instead of when its whole timeout is over.
"""

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable

import structlog
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from nats.errors import Error as NatsError
from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeout
from opentelemetry.trace import SpanKind
from prometheus_client import Counter, Histogram
from pydantic import ValidationError
from studio_contracts.problems import Problem
from studio_contracts.subjects import subject

from studio_runtime import tracing
from studio_runtime.errors import DomainError, ServiceUnavailable, Unauthorized, problem
from studio_runtime.field_errors import field_error
from studio_runtime.ids import new_id
from studio_runtime.internal_auth import IDENTITY_HEADER, Identity, InvalidIdentity, verify_identity
from studio_runtime.internal_http import signed_headers
from studio_runtime.middleware import REQUEST_ID_HEADER

log = structlog.get_logger(__name__)

CALLS = Counter("studio_rpc_calls_total", "NATS request-reply calls answered", ["call", "status"])
LATENCY = Histogram(
    "studio_rpc_call_duration_seconds",
    "NATS request-reply calls, received to answered",
    ["call"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10),
)
STATUS_HEADER = "Studio-Status"
CALL_HEADER = "Studio-Call"
HELD_SUFFIX = ".held"
Handler = Callable[[Identity, bytes], Awaitable[bytes]]


class NotDelivered(ServiceUnavailable):
    """Nobody took the call: the broker is away, or no process listens on the subject (say, an
    older version of the service). Nothing was done, so the caller may ask another way."""


class RpcClient:
    """Calls a service's subjects over one NATS connection, signing the caller's identity."""

    def __init__(
        self,
        nc: NATS,
        *,
        service: str,
        secret: str,
        ttl_s: float,
        timeout_s: float,
        prefix: str = "",
        probe_after_s: float = 2.0,
        probe_wait_s: float = 2.0,
    ) -> None:
        self._nc = nc
        self._service = service
        self._secret = secret
        self._ttl_s = ttl_s
        self._timeout_s = timeout_s
        self._prefix = prefix
        self._probe_after_s = probe_after_s
        self._probe_wait_s = probe_wait_s

    async def call(self, name: str, identity: Identity, body: bytes) -> bytes:
        """The reply's body; `NotDelivered` when no one took the call, `ServiceUnavailable`
        when the service failed it, did not answer within the timeout, or its process that
        took the call is gone."""
        if not self._nc.is_connected:
            # While reconnecting, nats-py would hold the message and wait out the timeout.
            raise NotDelivered(f"the {self._service} service cannot be reached over NATS")
        to = subject(name, self._prefix)
        with tracing.span(f"{name} call", kind=SpanKind.CLIENT, service=self._service):
            headers = signed_headers(identity, self._secret, ttl_s=self._ttl_s)
            headers[CALL_HEADER] = call_id = new_id()
            tracing.inject(headers)
            try:
                asking = self._nc.request(to, body, timeout=self._timeout_s, headers=headers)
                reply = await self._answer(to, call_id, asyncio.ensure_future(asking))
            except NoRespondersError as exc:
                raise NotDelivered(f"no {self._service} service listens on {to}") from exc
            except NatsTimeout as exc:
                raise ServiceUnavailable(
                    f"the {self._service} service did not answer in time; try again"
                ) from exc
            except NatsError as exc:  # the connection went away mid-call, and the like
                raise ServiceUnavailable(
                    f"the {self._service} service could not be asked over NATS ({exc}); try again"
                ) from exc
        status = (reply.headers or {}).get(STATUS_HEADER)
        if status == "200":
            return reply.data
        raise ServiceUnavailable(
            f"the {self._service} service refused the call ({status}): {_detail(reply.data)}"
        )

    async def _answer(self, to: str, call_id: str, asking: "asyncio.Future[Msg]") -> Msg:
        """The reply `asking` waits for, or ServiceUnavailable as soon as no replica holds the
        call any more (its process died: no answer would ever come)."""
        began = time.monotonic()
        try:
            while True:
                done, _ = await asyncio.wait({asking}, timeout=self._probe_after_s)
                if done:
                    return asking.result()
                # The answer may have come while the question was out (and the replica, done,
                # no longer holds the call): the loop then returns it.
                if not await self._held(to, call_id) and not asking.done():
                    log.warning(
                        "rpc.call_lost", subject=to, waited_s=round(time.monotonic() - began, 1)
                    )
                    raise ServiceUnavailable(
                        f"the {self._service} service process that took the call is gone; try again"
                    )
        finally:
            if not asking.done():
                asking.cancel()
                await asyncio.gather(asking, return_exceptions=True)

    async def _held(self, to: str, call_id: str) -> bool:
        if not self._nc.is_connected:
            return True  # the question cannot be asked now: the call's own timeout decides
        try:
            await self._nc.request(to + HELD_SUFFIX, call_id.encode(), timeout=self._probe_wait_s)
        except (NoRespondersError, NatsTimeout):
            return False
        except NatsError:
            return True  # the question could not be asked: the call's own timeout decides
        return True


class Responder:
    """Answers the calls on one subject, each in its own task (nats-py hands a subscription's
    messages to its callback one at a time), as one queue group across the service's replicas."""

    def __init__(
        self,
        nc: NATS,
        name: str,
        handle: Handler,
        *,
        service: str,
        secret: str,
        prefix: str = "",
    ) -> None:
        self._nc = nc
        self._name = name
        self._subject = subject(name, prefix)
        self._handle = handle
        self._service = service
        self._secret = secret
        self._subscription: Subscription | None = None
        self._probes: Subscription | None = None
        self._answering: set[asyncio.Task[None]] = set()
        self._holding: set[str] = set()

    async def start(self) -> None:
        # Every replica hears the callers' questions (no queue group): only the one holding
        # the call knows it.
        self._probes = await self._nc.subscribe(self._subject + HELD_SUFFIX, cb=self._probed)
        self._subscription = await self._nc.subscribe(
            self._subject, queue=self._service, cb=self._received
        )
        # Once started, a call finds it: the server has the subscriptions (a call sent before
        # would find no responders, and go over HTTP).
        await self._nc.flush()

    async def stop(self, grace_s: float = 10) -> None:
        """Take no more calls; give those being answered `grace_s` to finish (still saying
        that they are held, to callers who ask)."""
        if self._subscription is not None:
            await self._subscription.unsubscribe()
            self._subscription = None
        if self._answering:
            _, late = await asyncio.wait(set(self._answering), timeout=grace_s)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
        if self._probes is not None:
            await self._probes.unsubscribe()
            self._probes = None

    async def _received(self, msg: Msg) -> None:
        call_id = (msg.headers or {}).get(CALL_HEADER)
        task = asyncio.create_task(self._answer(msg), name=f"answer {self._name}")
        self._answering.add(task)
        task.add_done_callback(self._answering.discard)
        if call_id:
            self._holding.add(call_id)
            task.add_done_callback(lambda _: self._holding.discard(call_id))

    async def _probed(self, msg: Msg) -> None:
        if msg.reply and msg.data.decode(errors="replace") in self._holding:
            with contextlib.suppress(Exception):  # the caller asks again, or times out
                await self._nc.publish(msg.reply, b"")

    async def _answer(self, msg: Msg) -> None:
        started = time.perf_counter()
        headers = msg.headers or {}
        with (
            structlog.contextvars.bound_contextvars(request_id=headers.get(REQUEST_ID_HEADER)),
            tracing.span(
                f"{self._name} answer", headers=headers, kind=SpanKind.SERVER, service=self._service
            ),
        ):
            status, body = await self._outcome(headers.get(IDENTITY_HEADER), msg.data)
        CALLS.labels(self._name, str(status)).inc()
        LATENCY.labels(self._name).observe(time.perf_counter() - started)
        try:
            await self._nc.publish(msg.reply, body, headers={STATUS_HEADER: str(status)})
        except Exception as exc:  # the caller times out and asks again
            log.warning("rpc.reply_failed", subject=self._subject, error=str(exc))

    async def _outcome(self, token: str | None, data: bytes) -> tuple[int, bytes]:
        if token is None:
            return _problem(problem(401, "missing internal identity", code=Unauthorized.code))
        try:
            identity = verify_identity(token, self._secret)
        except InvalidIdentity as exc:
            return _problem(problem(401, str(exc), code=Unauthorized.code))
        structlog.contextvars.bind_contextvars(user_id=identity.user_id)
        try:
            return 200, await self._handle(identity, data)
        except DomainError as exc:
            return _problem(problem(exc.status, exc.detail, code=exc.code, errors=exc.errors))
        except ValidationError as exc:
            errors = [field_error(err) for err in exc.errors()]
            return _problem(problem(422, "The call's body is not valid.", errors=errors))
        except Exception:
            log.exception("rpc.failed", subject=self._subject)
            return _problem(
                problem(500, "An unexpected error occurred; it has been logged.", code="internal")
            )


def _problem(body: Problem) -> tuple[int, bytes]:
    return body.status, body.model_dump_json(exclude_none=True).encode()


def _detail(data: bytes) -> str:
    try:
        found = Problem.model_validate_json(data)
    except ValidationError:
        return data[:200].decode(errors="replace") or "no detail"
    return found.detail or found.title
