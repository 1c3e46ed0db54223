"""A faithful fake of fal.ai's queue API, served over real HTTP for tests and benchmarks.

It follows the protocol in docs/fal-provider.md: submit answers the request's status, response
and cancel URLs (without the model's sub-path, like fal), status goes IN_QUEUE (with a queue
position) -> IN_PROGRESS (with logs) -> COMPLETED, the result points at media files the fake
serves itself, and errors come in fal's shapes (422 `detail` lists, infrastructure errors with
`error_type` and `X-Fal-Error-Type`). Every request is recorded for assertions.

A request's state is computed from its submission time on each call (no task or thread per
job), so thousands of concurrent jobs cost only their dict entries.

    async with running_fake_fal() as fal:
        fal.script("fal-ai/flux/dev", queue_s=0.2, run_s=0.3)
        ...  # point the provider at fal.base_url with key fal.key
        assert len(fal.submits()) == 1

Run standalone (e.g. for a benchmark): `python -m tests.fakes.fal_server --port 8700`.
"""

import argparse
import asyncio
import json
import math
import threading
import time
import uuid
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from tests.fakes import media
from tests.support.sockets import bound_socket
from tests.support.waiting import patience

ALWAYS = 1_000_000_000
"""For `failing_calls` / `rate_limited_calls`: every call fails."""

DEFAULT_KEY = "fal-test-key"

OutputShape = Literal["images", "image", "video", "audio", "audio_file", "model_mesh"]
Endpoint = Literal["submit", "status", "result", "cancel"]
ALL_ENDPOINTS: frozenset[Endpoint] = frozenset({"submit", "status", "result", "cancel"})


def field_error(field_name: str, msg: str, type_: str = "value_error") -> dict[str, Any]:
    """One entry of a 422 `detail` list, as fal's input validation answers it."""
    return {"loc": ["body", field_name], "msg": msg, "type": type_}


@dataclass(frozen=True)
class Behaviour:
    """How the fake treats requests to one model (or all, as the default)."""

    queue_s: float = 0.0
    """Time in IN_QUEUE after submission."""
    run_s: float = 0.05
    """Time in IN_PROGRESS; logs appear spread over it."""
    queue_position: int = 0
    """Position answered at submit; counts down to 0 over `queue_s`."""
    logs: tuple[str, ...] = ("Loading model", "Generating", "Saving outputs")
    never_finish: bool = False
    """Stays IN_PROGRESS for ever (after `queue_s`)."""
    output: OutputShape | None = None
    """Shape of the result; None guesses it from the model id (video, audio, 3d, ...)."""
    result: Mapping[str, Any] | None = None
    """A literal result JSON instead of the generated one."""
    image_size: tuple[int, int] = (64, 48)
    nsfw: tuple[bool, ...] = ()
    """`has_nsfw_concepts` of the generated images, in order (those not given: false); a flagged
    image is served black, as fal's safety checker replaces it."""
    file_faults: int = 0
    """The first N fetches of a request's result files answer `file_fault_status` instead of
    the file (ALWAYS: every one), as fal's CDN answers a file it does not have."""
    file_fault_status: int = 404
    """What those fetches answer: 404 or 410 (gone), or e.g. 503 (the CDN failing)."""
    rate_limited_calls: int = 0
    """The first N calls (to `fault_endpoints`) answer 429 with Retry-After."""
    retry_after: float | None = 1.0
    """Retry-After seconds sent with 429s (fractions allowed for quick tests); None: none."""
    failing_calls: int = 0
    """The N calls after the rate-limited ones answer `failure_status` (ALWAYS: every one)."""
    failure_status: int = 503
    failure_error_type: str = "runner_connection_error"
    fault_endpoints: frozenset[Endpoint] = ALL_ENDPOINTS
    submit_validation: tuple[Mapping[str, Any], ...] | None = None
    """422 at submit with this `detail` list (see `field_error`)."""
    result_validation: tuple[Mapping[str, Any], ...] | None = None
    """The request runs, then its result is a 422 with this `detail` list."""
    result_failure: tuple[int, str] | None = None
    """The request runs, then its result is this infrastructure error, e.g. (500,
    "runner_server_error")."""


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str]
    """Lower-cased names."""
    json: Any
    at: float


@dataclass
class FakeRequest:
    """One submitted request; its state is a function of the clock."""

    request_id: str
    model_id: str
    app: str
    input: Mapping[str, Any]
    behaviour: Behaviour
    submitted_at: float
    submitted_wall: datetime
    webhook: str | None = None
    cancelled_at: float | None = None
    file_fetches: int = 0
    """How often its result files were asked for (for `Behaviour.file_faults`)."""

    def state(self, now: float) -> tuple[str, int, int]:
        """(status, queue position, number of log lines visible)."""
        b = self.behaviour
        if self.cancelled_at is not None:
            return "COMPLETED", 0, 0
        elapsed = now - self.submitted_at
        if elapsed < b.queue_s:
            left = (b.queue_s - elapsed) / b.queue_s
            return "IN_QUEUE", min(b.queue_position, math.ceil(left * b.queue_position)), 0
        running = elapsed - b.queue_s
        if b.never_finish or running < b.run_s:
            share = 1.0 if b.run_s <= 0 else running / b.run_s
            visible = min(len(b.logs), 1 + int(share * len(b.logs))) if b.logs else 0
            return "IN_PROGRESS", 0, visible
        return "COMPLETED", 0, len(b.logs)

    def logs(self, count: int) -> list[dict[str, Any]]:
        step = self.behaviour.run_s / max(1, len(self.behaviour.logs))
        start = self.submitted_wall + timedelta(seconds=self.behaviour.queue_s)
        return [
            {
                "message": message,
                "level": "INFO",
                "source": "user",
                "timestamp": (start + timedelta(seconds=i * step)).isoformat(),
            }
            for i, message in enumerate(self.behaviour.logs[:count])
        ]


def guess_output(model_id: str) -> OutputShape:
    """The output shape a real model with this id answers, from words in the id."""
    lowered = model_id.lower()
    if any(w in lowered for w in ("3d", "trellis", "tripo", "mesh")):
        return "model_mesh"
    if any(w in lowered for w in ("video", "kling", "veo", "luma", "minimax", "wan")):
        return "video"
    if any(w in lowered for w in ("audio", "tts", "music", "sound", "speech")):
        return "audio"
    if any(w in lowered for w in ("upscale", "edit", "background")):
        return "image"
    return "images"


class FakeFal:
    """The fake's state and scripting; `running_fake_fal` serves it."""

    def __init__(self, *, key: str = DEFAULT_KEY, default: Behaviour | None = None) -> None:
        self.key = key
        self.base_url = ""
        self.default = default or Behaviour()
        self.behaviours: dict[str, Behaviour] = {}
        self.jobs: dict[str, FakeRequest] = {}
        self.recorded: list[RecordedRequest] = []
        self.record = True
        self.uploads: dict[str, Upload] = {}
        self._calls: dict[str, int] = {}
        self.app = Starlette(
            routes=[Route("/{path:path}", self._handle, methods=["GET", "POST", "PUT"])]
        )

    # --- scripting & assertions ---------------------------------------------------------

    def script(self, model_id: str | None = None, **changes: Any) -> Behaviour:
        """Set how `model_id` (or, with None, every unscripted model) behaves from now on;
        `changes` are `Behaviour` fields applied over the current behaviour."""
        current = self.behaviour(model_id) if model_id else self.default
        updated = replace(current, **changes)
        if model_id is None:
            self.default = updated
        else:
            self.behaviours[model_id] = updated
            self._calls.pop(model_id, None)
        return updated

    def worker_settings(self, **overrides: Any) -> dict[str, Any]:
        """A worker's settings for running hosted models against this fake, polling fast so a
        test need not wait on fal's shipped interval; `overrides` are further worker settings."""
        return {
            "fal_key": self.key,
            "fal_base_url": self.base_url,
            "fal_poll_interval_s": 0.05,
            **overrides,
        }

    def behaviour(self, model_id: str) -> Behaviour:
        return self.behaviours.get(model_id, self.default)

    def requests(self, method: str | None = None, path: str | None = None) -> list[RecordedRequest]:
        """Recorded requests, optionally only those with this method / path prefix."""
        return [
            r
            for r in self.recorded
            if (method is None or r.method == method) and (path is None or r.path.startswith(path))
        ]

    def submits(self, model_id: str | None = None) -> list[RecordedRequest]:
        return self.requests("POST", f"/{model_id}" if model_id else None)

    # --- HTTP -----------------------------------------------------------------------------

    async def _handle(self, request: Request) -> Response:
        body = await request.body()
        payload = _parse_json(body)
        path = request.url.path
        if self.record:
            self.recorded.append(
                RecordedRequest(
                    method=request.method,
                    path=path,
                    query=dict(request.query_params),
                    headers={k.lower(): v for k, v in request.headers.items()},
                    json=payload,
                    at=time.monotonic(),
                )
            )
        parts = [p for p in path.split("/") if p]
        if request.method == "GET" and len(parts) == 3 and parts[0] == "files":
            return self._file(parts[1], parts[2])  # media: public, like fal's CDN
        if parts[:2] == ["storage", "put"] and request.method == "PUT" and len(parts) == 3:
            return self._put_upload(parts[2], request, body)  # a signed URL: no key needed
        if parts[:2] == ["storage", "files"] and request.method == "GET" and len(parts) == 4:
            upload = self.uploads.get(parts[2])
            if upload is None or upload.data is None:
                return Response(b"Not Found", 404)
            return Response(upload.data, media_type=upload.content_type)
        if request.headers.get("authorization") != f"Key {self.key}":
            return JSONResponse({"detail": "No user found for Key ID and Secret"}, 401)
        if parts == ["storage", "upload", "initiate"] and request.method == "POST":
            return self._initiate_upload(payload)
        if len(parts) >= 4 and parts[2] == "requests":
            return await self._request_call(request, parts)
        if request.method == "POST" and len(parts) >= 2:
            return self._submit(request, "/".join(parts), payload)
        return JSONResponse({"detail": "Not Found"}, 404)

    async def _request_call(self, request: Request, parts: list[str]) -> Response:
        app, request_id, rest = "/".join(parts[:2]), parts[3], parts[4:]
        job = self.jobs.get(request_id)
        if job is None or job.app != app:
            if rest == ["cancel"]:
                return JSONResponse({"status": "NOT_FOUND"}, 404)
            return JSONResponse({"detail": f"Request {request_id} not found"}, 404)
        if request.method == "GET" and rest == ["status"]:
            endpoint: Endpoint = "status"
        elif request.method == "GET" and rest == ["status", "stream"]:
            return self._stream(job)
        elif request.method == "GET" and not rest:
            endpoint = "result"
        elif request.method == "PUT" and rest == ["cancel"]:
            endpoint = "cancel"
        else:
            return JSONResponse({"detail": "Method Not Allowed"}, 405)
        fault = self._fault(job.model_id, job.behaviour, endpoint)
        if fault is not None:
            return fault
        if endpoint == "status":
            return self._status(job, with_logs=request.query_params.get("logs") in ("1", "true"))
        if endpoint == "result":
            return self._result(job)
        return self._cancel(job)

    def _fault(self, model_id: str, b: Behaviour, endpoint: Endpoint) -> Response | None:
        """The scripted 429s first, then the scripted failures, counted per model."""
        if endpoint not in b.fault_endpoints or not (b.rate_limited_calls or b.failing_calls):
            return None
        n = self._calls.get(model_id, 0)
        self._calls[model_id] = n + 1
        if n < b.rate_limited_calls:
            headers = {"Retry-After": f"{b.retry_after:g}"} if b.retry_after is not None else {}
            return JSONResponse({"detail": "Rate limit exceeded"}, 429, headers=headers)
        if n < b.rate_limited_calls + b.failing_calls:
            return infra_error(b.failure_status, b.failure_error_type)
        return None

    def _submit(self, request: Request, model_id: str, payload: Any) -> Response:
        b = self.behaviour(model_id)
        fault = self._fault(model_id, b, "submit")
        if fault is not None:
            return fault
        if not isinstance(payload, dict):
            detail = [{"loc": ["body"], "msg": "Input should be an object", "type": "dict_type"}]
            return JSONResponse({"detail": detail}, 422)
        if b.submit_validation is not None:
            return JSONResponse({"detail": list(b.submit_validation)}, 422)
        parts = model_id.split("/")
        job = FakeRequest(
            request_id=str(uuid.uuid4()),
            model_id=model_id,
            app="/".join(parts[:2]),
            input=payload,
            behaviour=b,
            submitted_at=time.monotonic(),
            submitted_wall=datetime.now(UTC),
            webhook=request.query_params.get("fal_webhook"),
        )
        self.jobs[job.request_id] = job
        return JSONResponse({**self._urls(job), "queue_position": b.queue_position})

    def _urls(self, job: FakeRequest) -> dict[str, str]:
        response_url = f"{self.base_url}/{job.app}/requests/{job.request_id}"
        return {
            "request_id": job.request_id,
            "response_url": response_url,
            "status_url": f"{response_url}/status",
            "cancel_url": f"{response_url}/cancel",
        }

    def _status_body(self, job: FakeRequest, *, with_logs: bool) -> dict[str, Any]:
        status, position, visible = job.state(time.monotonic())
        urls = self._urls(job)
        body: dict[str, Any] = {"status": status, "request_id": job.request_id}
        body |= {"response_url": urls["response_url"], "status_url": urls["status_url"]}
        if status == "IN_QUEUE":
            body["queue_position"] = position
        elif with_logs:
            body["logs"] = job.logs(visible)
        if status == "COMPLETED" and job.cancelled_at is None:
            body["metrics"] = {"inference_time": job.behaviour.run_s}
        return body

    def _status(self, job: FakeRequest, *, with_logs: bool) -> Response:
        body = self._status_body(job, with_logs=with_logs)
        return JSONResponse(body, 200 if body["status"] == "COMPLETED" else 202)

    def _stream(self, job: FakeRequest) -> Response:
        async def events() -> AsyncIterator[bytes]:
            while True:
                body = self._status_body(job, with_logs=True)
                yield f"data: {json.dumps(body)}\n\n".encode()
                if body["status"] == "COMPLETED":
                    return
                await asyncio.sleep(0.05)

        return StreamingResponse(events(), media_type="text/event-stream")

    def _result(self, job: FakeRequest) -> Response:
        status, _, _ = job.state(time.monotonic())
        if job.cancelled_at is not None:
            return infra_error(499, "client_cancelled", "Request was cancelled by the client")
        if status != "COMPLETED":
            return JSONResponse({"detail": "Request is still in progress"}, 400)
        b = job.behaviour
        if b.result_validation is not None:
            return JSONResponse({"detail": list(b.result_validation)}, 422)
        if b.result_failure is not None:
            return infra_error(*b.result_failure)
        return JSONResponse(dict(b.result) if b.result is not None else self._output(job))

    def _cancel(self, job: FakeRequest) -> Response:
        status, _, _ = job.state(time.monotonic())
        if status != "IN_QUEUE":
            return JSONResponse({"status": "ALREADY_COMPLETED"}, 400)
        job.cancelled_at = time.monotonic()
        return JSONResponse({"status": "CANCELLATION_REQUESTED"}, 202)

    # --- outputs --------------------------------------------------------------------------

    def _output(self, job: FakeRequest) -> dict[str, Any]:
        shape = job.behaviour.output or guess_output(job.model_id)
        files = f"{self.base_url}/files/{job.request_id}"
        if shape in ("images", "image"):
            width, height = job.behaviour.image_size
            count = job.input.get("num_images", 1)
            count = count if isinstance(count, int) and 1 <= count <= 8 else 1
            images = [
                {
                    "url": f"{files}/image-{i}.png",
                    "width": width,
                    "height": height,
                    "content_type": "image/png",
                }
                for i in range(count)
            ]
            seed = job.input.get("seed", 42)
            if shape == "image":
                return {"image": images[0], "seed": seed}
            flags = [_flagged(job.behaviour, i) for i in range(count)]
            return {"images": images, "seed": seed, "has_nsfw_concepts": flags}
        name, data = {
            "video": ("output.mp4", media.mp4()),
            "audio": ("output.wav", media.wav()),
            "audio_file": ("output.wav", media.wav()),
            "model_mesh": ("model.glb", media.glb()),
        }[shape]
        file = {
            "url": f"{files}/{name}",
            "content_type": media.CONTENT_TYPES[name.rsplit(".", 1)[1]],
            "file_name": name,
            "file_size": len(data),
        }
        return {shape: file}

    def _file(self, request_id: str, name: str) -> Response:
        job = self.jobs.get(request_id)
        ext = name.rsplit(".", 1)[-1]
        if job is None or ext not in media.CONTENT_TYPES:
            return Response(b"Not Found", 404)
        job.file_fetches += 1
        if job.file_fetches <= job.behaviour.file_faults:
            return Response(b"Not Found", job.behaviour.file_fault_status)
        if ext == "png":
            index = name.removeprefix("image-").removesuffix(".png")
            black = index.isdigit() and _flagged(job.behaviour, int(index))
            size = job.behaviour.image_size
            data = media.png(*size, (0, 0, 0)) if black else media.png(*size)
        else:
            data = {"mp4": media.mp4, "wav": media.wav, "glb": media.glb}[ext]()
        return Response(data, media_type=media.CONTENT_TYPES[ext])

    # --- storage (rest.fal.ai/storage/upload/initiate, then PUT to the signed URL) ----------

    def _initiate_upload(self, payload: Any) -> Response:
        if not isinstance(payload, dict) or not isinstance(payload.get("file_name"), str):
            return JSONResponse({"detail": "file_name and content_type are required"}, 422)
        upload_id = uuid.uuid4().hex
        name = payload["file_name"]
        self.uploads[upload_id] = Upload(
            file_name=name,
            content_type=str(payload.get("content_type") or "application/octet-stream"),
            signature=uuid.uuid4().hex,
        )
        upload = self.uploads[upload_id]
        return JSONResponse(
            {
                "upload_url": f"{self.base_url}/storage/put/{upload_id}?sig={upload.signature}",
                "file_url": f"{self.base_url}/storage/files/{upload_id}/{name}",
            }
        )

    def _put_upload(self, upload_id: str, request: Request, body: bytes) -> Response:
        upload = self.uploads.get(upload_id)
        if upload is None or request.query_params.get("sig") != upload.signature:
            return Response(b"Forbidden", 403)
        upload.data = body
        upload.content_type = request.headers.get("content-type", upload.content_type)
        return Response(status_code=200)


@dataclass
class Upload:
    """A file put into the fake's storage."""

    file_name: str
    content_type: str
    signature: str
    data: bytes | None = None


def _flagged(b: Behaviour, index: int) -> bool:
    return index < len(b.nsfw) and b.nsfw[index]


def infra_error(status: int, error_type: str, detail: str | None = None) -> JSONResponse:
    """An infrastructure error in fal's shape: `error_type` in the body and the header."""
    return JSONResponse(
        {"detail": detail or f"fal infrastructure error: {error_type}", "error_type": error_type},
        status,
        headers={"X-Fal-Error-Type": error_type},
    )


def _parse_json(body: bytes) -> Any:
    if not body:
        return None
    try:
        return json.loads(body)
    except ValueError:
        return None


# --- serving ----------------------------------------------------------------------------------


@asynccontextmanager
async def running_fake_fal(
    *,
    key: str = DEFAULT_KEY,
    default: Behaviour | None = None,
    in_thread: bool = False,
    record: bool = True,
    port: int | None = None,
) -> AsyncIterator[FakeFal]:
    """Serve a `FakeFal` with uvicorn on 127.0.0.1; `in_thread` runs it on its own event loop
    (for load tests, so the fake does not compete with the code under test for the loop)."""
    fake = FakeFal(key=key, default=default)
    fake.record = record
    listening = bound_socket(port)
    port = listening.getsockname()[1]
    fake.base_url = f"http://127.0.0.1:{port}"
    config = uvicorn.Config(
        fake.app,
        host="127.0.0.1",
        port=port,
        log_config=None,
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=2,
    )
    server = uvicorn.Server(config)
    if in_thread:
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [listening]}, name="fake-fal", daemon=True
        )
        thread.start()
        done: asyncio.Future[None] = asyncio.ensure_future(asyncio.to_thread(thread.join))
    else:
        done = asyncio.ensure_future(server.serve(sockets=[listening]))
    try:
        async with asyncio.timeout(20 * patience()):
            while not server.started:
                if done.done():
                    done.result()
                    raise RuntimeError("fake fal stopped while starting")
                await asyncio.sleep(0.01)
        yield fake
    finally:
        server.should_exit = True
        try:
            await done
        finally:
            listening.close()


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve the fake fal queue API")
    parser.add_argument("--port", type=int, default=8700)
    parser.add_argument("--key", default=DEFAULT_KEY)
    parser.add_argument("--queue-s", type=float, default=0.0)
    parser.add_argument("--run-s", type=float, default=2.0)
    parser.add_argument("--no-record", action="store_true", help="keep no request log")
    args = parser.parse_args()
    fake = FakeFal(key=args.key, default=Behaviour(queue_s=args.queue_s, run_s=args.run_s))
    fake.record = not args.no_record
    fake.base_url = f"http://127.0.0.1:{args.port}"
    uvicorn.run(fake.app, host="127.0.0.1", port=args.port, log_config=None, access_log=False)


if __name__ == "__main__":
    main()
