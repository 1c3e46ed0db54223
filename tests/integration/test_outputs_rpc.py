"""The worker's registration of a job's outputs over NATS request-reply (`studio_runtime.rpc`),
and its fall-back to HTTP, against real MongoDB, NATS and S3 servers."""

import asyncio

import httpx
import nats
import pytest
from nats.aio.client import Client as NATS
from studio_contracts.assets import OutputsRegistration
from studio_contracts.problems import Problem
from studio_contracts.subjects import ASSETS_REGISTER_OUTPUTS, subject
from studio_runtime.errors import ServiceUnavailable
from studio_runtime.ids import new_id
from studio_runtime.internal_auth import IDENTITY_HEADER, Identity, sign_identity
from studio_runtime.rpc import STATUS_HEADER, NotDelivered, RpcClient

from tests.support import media_samples
from tests.support.apps import INTERNAL_SECRET
from tests.support.assets_stack import AssetsStack, worker_assets_client

USER = Identity("user-1", "req-rpc")
CLOSED_PORT_URL = "http://127.0.0.1:9"  # nothing listens: a call that reaches HTTP fails


async def _registration(stack: AssetsStack, prompt: str = "a red square") -> OutputsRegistration:
    project, generation_id = await stack.new_project(), new_id()
    image = media_samples.png(800, 600)
    output = await stack.stored_output(project, generation_id, image, "image/png", 800, 600)
    return OutputsRegistration(
        generation_id=generation_id, project_id=project, prompt=prompt, outputs=[output]
    )


async def test_outputs_registered_over_nats_are_served_at_once_and_once(
    stack: AssetsStack, nc: NATS, nats_prefix: str
) -> None:
    registration = await _registration(stack)
    answered_before = await _answered(stack)
    async with httpx.AsyncClient() as http:
        # The HTTP route is out of reach: only the NATS call can register these outputs.
        assets = worker_assets_client(nc, http, base_url=CLOSED_PORT_URL, prefix=nats_prefix)
        [asset] = await assets.register_outputs(USER, registration)
        [again] = await assets.register_outputs(USER, registration)  # a job run again
    # Operators count the calls as they count HTTP requests.
    assert await _answered(stack) == answered_before + 2
    assert asset.id == again.id == registration.outputs[0].asset_id
    assert asset.generation_id == registration.generation_id
    assert asset.name == "a-red-square-1.png"
    assert asset.thumbnail_url is not None
    async with stack.client() as client:
        assert (await client.get(asset.content_url)).status_code == 200
        assert (await client.get(asset.thumbnail_url)).status_code == 200
        listed = (await client.get("/api/v1/assets", params={"kind": "output"})).json()["items"]
    assert [item["id"] for item in listed] == [asset.id]


async def _answered(stack: AssetsStack) -> float:
    """How many registrations the assets service answered with 200, by its `/metrics`."""
    series = 'studio_rpc_calls_total{call="assets-rpc.register-outputs",status="200"} '
    async with stack.client() as client:
        metrics = (await client.get("/metrics")).text
    found = [line.removeprefix(series) for line in metrics.splitlines() if line.startswith(series)]
    return float(found[0]) if found else 0.0


async def test_a_registration_outside_the_generations_folder_is_refused_over_nats(
    stack: AssetsStack, nc: NATS, nats_prefix: str
) -> None:
    registration = await _registration(stack)
    outside = registration.outputs[0].model_copy(
        update={"object_key": f"someone-else/{registration.project_id}/x/0.png"}
    )
    async with httpx.AsyncClient() as http:
        assets = worker_assets_client(nc, http, base_url=CLOSED_PORT_URL, prefix=nats_prefix)
        with pytest.raises(ServiceUnavailable, match=r"\(422\).*outside this generation"):
            await assets.register_outputs(
                USER, registration.model_copy(update={"outputs": [outside]})
            )
    async with stack.client() as client:
        assert (await client.get("/api/v1/assets")).json()["items"] == []


@pytest.mark.parametrize(
    "token", [None, sign_identity(USER, "another-secret-0123456789abcdefghij"), "not-a-token"]
)
async def test_a_call_without_a_valid_signed_identity_is_refused_and_registers_nothing(
    stack: AssetsStack, nc: NATS, nats_prefix: str, token: str | None
) -> None:
    registration = await _registration(stack)
    headers = {IDENTITY_HEADER: token} if token is not None else {}
    reply = await nc.request(
        subject(ASSETS_REGISTER_OUTPUTS, nats_prefix),
        registration.model_dump_json().encode(),
        timeout=30,
        headers=headers,
    )
    assert reply.headers is not None
    assert reply.headers[STATUS_HEADER] == "401"
    problem = Problem.model_validate_json(reply.data)
    assert problem.status == 401
    assert problem.detail
    async with stack.client() as client:
        assert (await client.get("/api/v1/assets")).json()["items"] == []


async def test_a_body_that_is_not_a_registration_is_a_422_with_its_fields(
    stack: AssetsStack, nc: NATS, nats_prefix: str
) -> None:
    reply = await nc.request(
        subject(ASSETS_REGISTER_OUTPUTS, nats_prefix),
        b'{"generation_id": "g1", "outputs": "none"}',
        timeout=30,
        headers={IDENTITY_HEADER: sign_identity(USER, INTERNAL_SECRET)},
    )
    assert reply.headers is not None
    assert reply.headers[STATUS_HEADER] == "422"
    problem = Problem.model_validate_json(reply.data)
    assert {tuple(error.loc) for error in problem.errors} >= {("project_id",), ("outputs",)}


async def test_with_no_assets_service_on_nats_the_registration_goes_over_http(
    stack: AssetsStack, nc: NATS, nats_prefix: str
) -> None:
    registration = await _registration(stack, prompt="by http")
    async with httpx.AsyncClient() as http:
        # Another installation's subject: no assets service listens there.
        calls = RpcClient(
            nc, service="assets", secret=INTERNAL_SECRET, ttl_s=60, timeout_s=30, prefix="nobody"
        )
        with pytest.raises(NotDelivered):
            await calls.call(ASSETS_REGISTER_OUTPUTS, USER, registration.model_dump_json().encode())
        assets = worker_assets_client(nc, http, base_url=stack.assets_url, prefix="nobody")
        [asset] = await assets.register_outputs(USER, registration)
    assert asset.name == "by-http-1.png"
    async with stack.client() as client:
        assert (await client.get(asset.content_url)).status_code == 200


async def test_with_the_broker_away_the_registration_goes_over_http(
    stack: AssetsStack, nats_url: str, nats_prefix: str
) -> None:
    registration = await _registration(stack, prompt="broker away")
    gone = await nats.connect(nats_url)
    await gone.close()
    async with httpx.AsyncClient() as http:
        assets = worker_assets_client(gone, http, base_url=stack.assets_url, prefix=nats_prefix)
        [asset] = await assets.register_outputs(USER, registration)
    assert asset.id == registration.outputs[0].asset_id
    async with stack.client() as client:
        assert (await client.get(asset.content_url)).status_code == 200


async def test_a_call_taken_but_not_answered_is_not_sent_again_over_http(
    stack: AssetsStack, nc: NATS
) -> None:
    """A service that took the call may still be doing it: asking again over HTTP would do it
    twice at once. The caller hears it failed (the job is retried), and nothing else."""
    registration = await _registration(stack, prompt="slow")
    taken = await nc.subscribe(subject(ASSETS_REGISTER_OUTPUTS, "silent"))  # never answers
    async with httpx.AsyncClient() as http:
        assets = worker_assets_client(
            nc, http, base_url=stack.assets_url, prefix="silent", timeout_s=0.5
        )
        with pytest.raises(ServiceUnavailable, match="did not answer in time") as raised:
            await assets.register_outputs(USER, registration)
    assert not isinstance(raised.value, NotDelivered)
    assert (await taken.next_msg(timeout=5)).data == registration.model_dump_json().encode()
    async with stack.client() as client:
        assert (await client.get("/api/v1/assets")).json()["items"] == []


async def test_the_same_outputs_registered_twice_at_once_keep_their_thumbnail(
    stack: AssetsStack, nc: NATS, nats_prefix: str
) -> None:
    """Two runs of one job (a takeover while the first still works, or a retry after a wait
    that ran out) may register the same outputs at the same time: both make the same thumbnail,
    one stores the asset, and the other must not delete what the asset now points to."""
    registrations = [await _registration(stack) for _ in range(3)]
    async with httpx.AsyncClient() as http:
        assets = worker_assets_client(nc, http, base_url=CLOSED_PORT_URL, prefix=nats_prefix)
        answers = await asyncio.gather(
            *(assets.register_outputs(USER, r) for r in registrations for _ in range(2))
        )
    async with stack.client() as client:
        for first, second in zip(answers[::2], answers[1::2], strict=True):
            assert [a.id for a in first] == [a.id for a in second]
            [asset] = first
            assert asset.thumbnail_url is not None
            assert (await client.get(asset.content_url)).status_code == 200
            assert (await client.get(asset.thumbnail_url)).status_code == 200
