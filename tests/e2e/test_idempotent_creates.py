"""`Idempotency-Key` on `POST /api/v1/projects` and `POST /api/v1/templates`, through the
gateway: a repeat answers the first record, twenty at once make one, another body with the key is
refused, keys are each user's own, a malformed key is refused with a sentence, a creation that
failed leaves its key free, and a key is forgotten after `STUDIO_IDEMPOTENCY_TTL_S`.

The projects service runs on the main MongoDB backend (nx-27017 unless a mongod is about) and on
SecantusDB, which behaves much closer to MongoDB.

The last test is QA pass 23's defect 1 as it happened: the projects service, a process of its
own, stops answering (SIGSTOP) for longer than the gateway waits (504 "too slow to answer"),
then wakes up and carries out the request the gateway forwarded; doing what the 504 says, the
same request again, must not make a second project or template.
"""

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import nats
import pytest
from pymongo.asynchronous.database import AsyncDatabase
from studio_contracts.subjects import PROJECTS_STREAM
from studio_devtools.servers import free_port
from studio_gateway.main import create_app as create_gateway
from studio_gateway.settings import GatewaySettings
from studio_projects.main import create_app as create_projects
from studio_projects.repository import ensure_indexes
from studio_projects.settings import ProjectsSettings
from studio_projects.templates.repository import ensure_template_indexes
from studio_runtime.nats import declare_stream

from tests.e2e.test_cli import studio
from tests.e2e.test_cli_qa11 import _Relay
from tests.support.apps import INTERNAL_SECRET, identity_headers, make_settings, running
from tests.support.waiting import eventually, patience

LOCAL_USER = "local"
"""The user the gateway acts for in local mode."""
OTHER_USER = "user-bob"
KEY_FIELD = "idempotency_key"
"""Where a record keeps the key it was made with (`studio_projects.once`): `<owner>\\n<key>`."""

TEMPLATE = {
    "name": "Poster look",
    "type": "text-to-image",
    "model_id": "local/image",
    "prompt": "a fox in the snow",
    "params": {"num_inference_steps": 4},
}
BODIES: dict[str, dict[str, Any]] = {
    "projects": {"name": "Dup check", "description": "made once"},
    "templates": TEMPLATE,
}
KINDS = list(BODIES)


@dataclass
class Stack:
    gateway: httpx.AsyncClient
    projects_url: str
    settings: ProjectsSettings

    def as_user(self, user_id: str) -> httpx.AsyncClient:
        """The projects service called directly as another user (the gateway has one)."""
        return httpx.AsyncClient(
            base_url=self.projects_url, headers=identity_headers(user_id), timeout=30
        )


@asynccontextmanager
async def _stack(
    projects_mongo_url: str,
    mongo_url: str,
    mongo_db_name: str,
    nats_url: str,
    nats_prefix: str,
    **projects: Any,
) -> AsyncIterator[Stack]:
    settings = make_settings(
        ProjectsSettings,
        mongo_url=projects_mongo_url,
        mongo_db=mongo_db_name,
        nats_url=nats_url,
        nats_prefix=nats_prefix,
        **projects,
    )
    async with running(create_projects(settings)) as projects_url:
        gateway = make_settings(
            GatewaySettings,
            projects_url=projects_url,
            mongo_url=mongo_url,
            mongo_db=f"{mongo_db_name}_gw",
            nats_url=nats_url,
            nats_prefix=nats_prefix,
            requests_per_minute=0,
        )
        async with (
            running(create_gateway(gateway)) as url,
            httpx.AsyncClient(base_url=url, timeout=60) as client,
        ):
            yield Stack(client, projects_url, settings)


@pytest.fixture(params=["mongo", "secantus"])
async def stack(
    request: pytest.FixtureRequest,
    mongo_url: str,
    mongo_db_name: str,
    nats_url: str,
    nats_prefix: str,
) -> AsyncIterator[Stack]:
    """The projects service (on each MongoDB backend in turn) behind a local-mode gateway."""
    backend = str(request.getfixturevalue(f"{request.param}_url"))
    async with _stack(backend, mongo_url, mongo_db_name, nats_url, nats_prefix) as running_stack:
        yield running_stack


def _key(value: str) -> dict[str, str]:
    return {"Idempotency-Key": value}


async def _listed(client: httpx.AsyncClient, kind: str) -> list[dict[str, Any]]:
    response = await client.get(f"/api/v1/{kind}", params={"limit": 100})
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


@pytest.mark.parametrize("kind", KINDS)
async def test_a_repeat_answers_the_first_record(stack: Stack, kind: str) -> None:
    body = BODIES[kind]
    first = await stack.gateway.post(f"/api/v1/{kind}", json=body, headers=_key("press-1"))
    assert first.status_code == 201, first.text
    again = await stack.gateway.post(f"/api/v1/{kind}", json=body, headers=_key("press-1"))
    assert again.status_code == 201, again.text
    assert again.json() == first.json()
    assert again.headers["location"] == first.headers["location"]
    # Another key is another action: a second record, on purpose.
    other = await stack.gateway.post(f"/api/v1/{kind}", json=body, headers=_key("press-2"))
    assert other.status_code == 201, other.text
    assert other.json()["id"] != first.json()["id"]
    listed = [item["id"] for item in await _listed(stack.gateway, kind)]
    assert sorted(listed) == sorted([first.json()["id"], other.json()["id"]])


@pytest.mark.parametrize("kind", KINDS)
async def test_twenty_at_once_make_one(stack: Stack, kind: str) -> None:
    responses = await asyncio.gather(
        *(
            stack.gateway.post(f"/api/v1/{kind}", json=BODIES[kind], headers=_key("double-click"))
            for _ in range(20)
        )
    )
    assert [r.status_code for r in responses] == [201] * 20, [r.text for r in responses]
    assert len({r.json()["id"] for r in responses}) == 1
    assert len(await _listed(stack.gateway, kind)) == 1


@pytest.mark.parametrize("kind", KINDS)
async def test_the_key_with_another_body_is_refused(stack: Stack, kind: str) -> None:
    body = BODIES[kind]
    first = await stack.gateway.post(f"/api/v1/{kind}", json=body, headers=_key("k-1"))
    assert first.status_code == 201, first.text
    reused = await stack.gateway.post(
        f"/api/v1/{kind}", json={**body, "name": "Something else"}, headers=_key("k-1")
    )
    assert reused.status_code == 422, reused.text
    problem = reused.json()
    assert problem["detail"] == (
        "This Idempotency-Key was used for a different request; send a new key with a new request."
    )
    assert problem["errors"] == [
        {
            "loc": ["header", "idempotency-key"],
            "msg": "This key was used for a different request; send a new one.",
            "type": "idempotency_key_reused",
        }
    ]
    assert [item["id"] for item in await _listed(stack.gateway, kind)] == [first.json()["id"]]


@pytest.mark.parametrize("kind", KINDS)
async def test_keys_are_each_users_own(stack: Stack, kind: str) -> None:
    body = BODIES[kind]
    mine = await stack.gateway.post(f"/api/v1/{kind}", json=body, headers=_key("shared"))
    async with stack.as_user(OTHER_USER) as bob:
        theirs = await bob.post(f"/api/v1/{kind}", json=body, headers=_key("shared"))
        again = await bob.post(f"/api/v1/{kind}", json=body, headers=_key("shared"))
        bobs = await _listed(bob, kind)
    assert mine.status_code == theirs.status_code == again.status_code == 201
    assert theirs.json()["id"] != mine.json()["id"]
    assert again.json()["id"] == theirs.json()["id"]
    assert [item["id"] for item in bobs] == [theirs.json()["id"]]
    assert [item["id"] for item in await _listed(stack.gateway, kind)] == [mine.json()["id"]]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("key", ["k" * 201, "", "tab\there"], ids=["too-long", "empty", "tab"])
async def test_a_malformed_key_is_refused_with_a_sentence(
    stack: Stack, kind: str, key: str
) -> None:
    refused = await stack.gateway.post(f"/api/v1/{kind}", json=BODIES[kind], headers=_key(key))
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    problem = refused.json()
    assert problem["detail"] == "Idempotency-Key must be 1 to 200 printable characters."
    assert problem["errors"] == [
        {
            "loc": ["header", "idempotency-key"],
            "msg": "Use 1 to 200 printable characters.",
            "type": "idempotency_key",
        }
    ]
    assert await _listed(stack.gateway, kind) == []
    # The longest key there may be is taken.
    longest = await stack.gateway.post(
        f"/api/v1/{kind}", json=BODIES[kind], headers=_key("k" * 200)
    )
    assert longest.status_code == 201, longest.text


@pytest.mark.parametrize("kind", KINDS)
async def test_a_creation_that_failed_leaves_its_key_free(
    stack: Stack, kind: str, nats_url: str
) -> None:
    """Refused half-way (its event could not be published): 503, nothing stored, and the key
    not taken, so the same request again makes the record, once."""
    stream = PROJECTS_STREAM.with_prefix(stack.settings.nats_prefix)
    body = BODIES[kind]
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        await js.delete_stream(stream.name)  # publishing now gets "no responders"
        refused = await stack.gateway.post(f"/api/v1/{kind}", json=body, headers=_key("retry-me"))
        assert refused.status_code == 503, refused.text
        assert await _listed(stack.gateway, kind) == []
        await declare_stream(js, stream)
    finally:
        await nc.close()
    made = await stack.gateway.post(f"/api/v1/{kind}", json=body, headers=_key("retry-me"))
    again = await stack.gateway.post(f"/api/v1/{kind}", json=body, headers=_key("retry-me"))
    assert made.status_code == again.status_code == 201, (made.text, again.text)
    assert again.json()["id"] == made.json()["id"]
    assert [item["id"] for item in await _listed(stack.gateway, kind)] == [made.json()["id"]]


async def test_a_key_is_forgotten_after_its_time(
    mongo_url: str, mongo_db_name: str, nats_url: str, nats_prefix: str
) -> None:
    """Kept `STUDIO_IDEMPOTENCY_TTL_S` (a day by default; a second here): the same key later is
    a new action."""
    async with _stack(
        mongo_url, mongo_url, mongo_db_name, nats_url, nats_prefix, idempotency_ttl_s=1
    ) as stack:
        body = BODIES["projects"]
        first = await stack.gateway.post("/api/v1/projects", json=body, headers=_key("daily"))
        again = await stack.gateway.post("/api/v1/projects", json=body, headers=_key("daily"))
        assert first.status_code == again.status_code == 201
        assert again.json()["id"] == first.json()["id"]
        later: list[str] = []

        async def made_anew() -> bool:
            response = await stack.gateway.post(
                "/api/v1/projects", json=body, headers=_key("daily")
            )
            assert response.status_code == 201, response.text
            later.append(str(response.json()["id"]))
            return later[-1] != str(first.json()["id"])

        await eventually(made_anew, within=10, what="the key forgotten")
        listed = {item["id"] for item in await _listed(stack.gateway, "projects")}
        assert listed == {first.json()["id"], later[-1]}


@pytest.mark.parametrize("collection", ["projects", "templates"])
async def test_a_repeat_is_found_by_an_index(
    any_db: AsyncDatabase[dict[str, Any]], collection: str
) -> None:
    """The repeat's lookup of its key is an index search on every backend, not a scan of the
    user's records."""
    await ensure_indexes(any_db)
    await ensure_template_indexes(any_db)
    await any_db[collection].insert_many(
        [{"_id": f"r{n}", "owner": LOCAL_USER, "name": f"n{n}"} for n in range(50)]
        + [{"_id": "keyed", "owner": LOCAL_USER, KEY_FIELD: f"{LOCAL_USER}\nk"}]
    )
    plan = await any_db[collection].find({KEY_FIELD: f"{LOCAL_USER}\nk"}).explain()
    winning = str(plan["queryPlanner"]["winningPlan"])
    # MongoDB and SecantusDB name an IXSCAN; nx-27017 (SQLite) says "USING INDEX".
    assert "IXSCAN" in winning or "USING INDEX" in winning, winning
    assert "COLLSCAN" not in winning


async def test_studio_projects_create_asks_again_for_a_lost_answer_and_makes_one(
    mongo_url: str, mongo_db_name: str, nats_url: str, nats_prefix: str, tmp_path: Path
) -> None:
    """`studio projects create` sends its key again when the 201 is lost on its way back (as
    `studio generate` does): the project the first request made, printed, and no second."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("STUDIO_")}
    env = {**clean, "XDG_CONFIG_HOME": str(tmp_path)}
    async with (
        _stack(mongo_url, mongo_url, mongo_db_name, nats_url, nats_prefix) as stack,
        _Relay(str(stack.gateway.base_url)) as relay,
    ):
        relay.lose_answer = b"HTTP/1.1 201"
        ran = await studio(
            "--local", "--url", relay.url, "projects", "create", "Lost answer", "--json", env=env
        )
        assert relay.lose_answer is None  # the first answer was lost
        assert ran.code == 0, ran.stderr
        listed = await _listed(stack.gateway, "projects")
    assert [(p["id"], p["name"]) for p in listed] == [(ran.json()["id"], "Lost answer")]


# --- QA pass 23, defect 1 ------------------------------------------------------------------


@contextmanager
def _stopped(process: asyncio.subprocess.Process) -> Iterator[None]:
    """The process frozen (SIGSTOP), as a hung service is, until the block ends."""
    os.kill(process.pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(process.pid, signal.SIGCONT)


@asynccontextmanager
async def _projects_process(
    tmp_path: Path, mongo_url: str, mongo_db_name: str, nats_url: str, nats_prefix: str
) -> AsyncIterator[tuple[asyncio.subprocess.Process, str]]:
    """`python -m studio_projects`, as `make run` starts it, once it is ready; its URL."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("STUDIO_")}
    env.update(
        {
            "STUDIO_INTERNAL_SECRET": INTERNAL_SECRET,
            "STUDIO_PORT": str(port),
            "STUDIO_MONGO_URL": mongo_url,
            "STUDIO_MONGO_DB": mongo_db_name,
            "STUDIO_NATS_URL": nats_url,
            "STUDIO_NATS_PREFIX": nats_prefix,
        }
    )
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "projects.log"
    with log.open("wb") as output:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "studio_projects", env=env, stdout=output, stderr=output
        )
    try:
        async with httpx.AsyncClient(base_url=url, timeout=5) as probe:

            async def ready() -> bool:
                assert process.returncode is None, log.read_text()
                try:
                    return (await probe.get("/readyz")).status_code == 200
                except httpx.TransportError:
                    return False

            await eventually(ready, within=60, what="the projects service ready")
        yield process, url
    finally:
        if process.returncode is None:
            os.kill(process.pid, signal.SIGCONT)
            process.kill()
        await process.wait()


@pytest.mark.parametrize("kind", KINDS)
async def test_doing_what_a_504_says_makes_one(
    kind: str,
    tmp_path: Path,
    mongo_url: str,
    mongo_db_name: str,
    nats_url: str,
    nats_prefix: str,
) -> None:
    upstream_timeout_s = 2 * patience()
    async with _projects_process(tmp_path, mongo_url, mongo_db_name, nats_url, nats_prefix) as (
        process,
        projects_url,
    ):
        settings = make_settings(
            GatewaySettings,
            projects_url=projects_url,
            mongo_url=mongo_url,
            mongo_db=f"{mongo_db_name}_gw",
            nats_url=nats_url,
            nats_prefix=nats_prefix,
            requests_per_minute=0,
            # The gateway gives up on a slow service sooner than its 30 s.
            upstream_timeout_s=upstream_timeout_s,
        )
        async with (
            running(create_gateway(settings)) as url,
            httpx.AsyncClient(base_url=url, timeout=60) as client,
        ):
            body = BODIES[kind]
            headers = _key("qa23-create")
            with _stopped(process):
                slow = await client.post(f"/api/v1/{kind}", json=body, headers=headers)
                assert slow.status_code == 504, slow.text
                assert slow.json()["type"].endswith("/upstream-timeout")
            # Woken up, the service carries out the request the gateway had forwarded.
            made: list[dict[str, Any]] = []

            async def carried_out() -> bool:
                made[:] = await _listed(client, kind)
                return bool(made)

            await eventually(carried_out, what="the forwarded request carried out")
            # "Try again in a moment": the same request, with its key.
            again = await client.post(f"/api/v1/{kind}", json=body, headers=headers)
            assert again.status_code == 201, again.text
            assert [item["id"] for item in await _listed(client, kind)] == [made[0]["id"]]
            assert again.json()["id"] == made[0]["id"]
