"""The clients services call each other with, in-process over `httpx.MockTransport`: no proxy
from the environment, signed identities, and the caches in front of projects and the catalog."""

import time
from collections.abc import Callable

import httpx
import pytest
from pydantic import SecretStr
from studio_catalog.datafile import load_models
from studio_contracts.enums import GenerationType
from studio_generation.projects_cache import CachedProjects
from studio_runtime.clients import CatalogClient, ProjectsClient
from studio_runtime.errors import InvalidInput, NotFound
from studio_runtime.internal_auth import (
    IDENTITY_HEADER,
    Identity,
    InvalidIdentity,
    verify_identity,
)
from studio_runtime.internal_http import InternalService, internal_client
from studio_runtime.settings import ServiceSettings

SECRET = "unit-test-secret-0123456789abcdef0123"
USER = Identity("user-1", "req-1")

Handler = Callable[[httpx.Request], httpx.Response]


class Recorded:
    """A mock service that answers with `handler` and keeps every request."""

    def __init__(self, handler: Handler) -> None:
        self.requests: list[httpx.Request] = []
        self._handler = handler

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self._handler(request)

    def service(self, name: str, *, ttl_s: float | None = None) -> InternalService:
        client = httpx.AsyncClient(transport=httpx.MockTransport(self))
        # As the services build theirs: secret and lifetime from the settings.
        settings = ServiceSettings(internal_secret=SecretStr(SECRET))
        if ttl_s is not None:
            settings = settings.model_copy(update={"internal_token_ttl_s": ttl_s})
        return InternalService.from_settings(client, settings, f"http://{name}.internal", name=name)


def test_internal_clients_ignore_proxy_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.invalid:3128")
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.invalid:3128")

    client = internal_client(timeout_s=5)

    assert client.trust_env is False


async def test_a_call_carries_the_callers_signed_identity_and_request_id() -> None:
    projects = Recorded(lambda _: httpx.Response(200, json={}))

    await ProjectsClient(projects.service("projects")).require_project(USER, "p1")

    sent = projects.requests[0]
    assert verify_identity(sent.headers[IDENTITY_HEADER], SECRET).user_id == "user-1"
    assert sent.headers["x-request-id"] == "req-1"


async def test_a_signature_lasts_the_configured_time() -> None:
    projects = Recorded(lambda _: httpx.Response(200, json={}))

    signed_at = time.time()
    await ProjectsClient(projects.service("projects", ttl_s=300)).require_project(USER, "p1")

    token = projects.requests[0].headers[IDENTITY_HEADER]
    # Still valid after 200 s (the default lifetime is 60 s), expired after 400 s.
    assert verify_identity(token, SECRET, now=signed_at + 200).user_id == "user-1"
    with pytest.raises(InvalidIdentity, match="expired"):
        verify_identity(token, SECRET, now=signed_at + 400)


async def test_by_default_a_signature_lasts_a_minute() -> None:
    projects = Recorded(lambda _: httpx.Response(200, json={}))

    signed_at = time.time()
    await ProjectsClient(projects.service("projects")).require_project(USER, "p1")

    token = projects.requests[0].headers[IDENTITY_HEADER]
    assert verify_identity(token, SECRET, now=signed_at + 50).user_id == "user-1"
    with pytest.raises(InvalidIdentity, match="expired"):
        verify_identity(token, SECRET, now=signed_at + 70)


async def test_an_odd_id_is_encoded_into_the_path_not_breaking_it() -> None:
    projects = Recorded(lambda _: httpx.Response(404))

    with pytest.raises(NotFound):
        await ProjectsClient(projects.service("projects")).require_project(USER, "a b?c")

    assert projects.requests[0].url.raw_path == b"/api/v1/projects/a%20b%3Fc"


async def test_a_known_project_is_not_asked_for_again() -> None:
    projects = Recorded(lambda _: httpx.Response(200, json={}))
    cached = CachedProjects(ProjectsClient(projects.service("projects")))

    await cached.require_project(USER, "p1")
    await cached.require_project(USER, "p1")

    assert len(projects.requests) == 1


async def test_a_missing_project_is_asked_for_every_time() -> None:
    projects = Recorded(lambda _: httpx.Response(404))
    cached = CachedProjects(ProjectsClient(projects.service("projects")))

    for _ in range(2):
        with pytest.raises(NotFound):
            await cached.require_project(USER, "p1")

    assert len(projects.requests) == 2


async def test_a_full_project_cache_makes_room_without_forgetting_everything() -> None:
    projects = Recorded(lambda _: httpx.Response(200, json={}))
    cached = CachedProjects(ProjectsClient(projects.service("projects")), max_entries=2)

    for project_id in ("p1", "p2", "p3"):
        await cached.require_project(USER, project_id)
    await cached.require_project(USER, "p3")

    assert [r.url.path.rsplit("/", 1)[-1] for r in projects.requests] == ["p1", "p2", "p3"]


async def test_a_deleted_project_is_forgotten_at_once() -> None:
    projects = Recorded(lambda _: httpx.Response(200, json={}))
    cached = CachedProjects(ProjectsClient(projects.service("projects")))
    await cached.require_project(USER, "p1")

    cached.forget("user-1", "p1")
    await cached.require_project(USER, "p1")

    assert len(projects.requests) == 2


LOCAL_IMAGE = next(model for model in load_models() if model.id == "local/image")


async def test_a_model_this_server_can_run_is_fetched_once() -> None:
    catalog = Recorded(lambda _: httpx.Response(200, content=LOCAL_IMAGE.model_dump_json()))
    client = CatalogClient(catalog.service("catalog"))

    for _ in range(2):
        await client.validate(USER, "local/image", GenerationType.TEXT_TO_IMAGE, {"prompt": "x"})

    assert len(catalog.requests) == 1


async def test_a_model_this_server_cannot_run_yet_is_asked_for_again() -> None:
    unavailable = LOCAL_IMAGE.model_copy(update={"available": False})
    catalog = Recorded(lambda _: httpx.Response(200, content=unavailable.model_dump_json()))
    client = CatalogClient(catalog.service("catalog"))

    for _ in range(2):
        with pytest.raises(InvalidInput):
            await client.validate(USER, "local/image", GenerationType.TEXT_TO_IMAGE, {})

    assert len(catalog.requests) == 2


async def test_the_prompt_and_model_errors_it_words_itself_are_sentences() -> None:
    """The catalog names the prompt `params.prompt`; moved to `body.prompt`, and the model a
    catalog does not know, they read like the catalog's own errors."""
    upscaler = next(model for model in load_models() if model.id == "fal-ai/esrgan")
    served = upscaler.model_copy(update={"available": True})

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/fal-ai/esrgan"):
            return httpx.Response(200, content=served.model_dump_json())
        return httpx.Response(404, json={"title": "Not Found"})

    client = CatalogClient(Recorded(answer).service("catalog"))
    with pytest.raises(InvalidInput) as no_prompt:
        await client.validate(
            USER, "fal-ai/esrgan", GenerationType.IMAGE_TO_IMAGE, {"prompt": "sharper"}
        )
    assert [(e.loc, e.msg, e.type) for e in no_prompt.value.errors] == [
        (["body", "prompt"], "This model takes no prompt.", "unknown_parameter")
    ]
    with pytest.raises(InvalidInput) as unknown:
        await client.validate(USER, "fal-ai/nope", GenerationType.TEXT_TO_IMAGE, {})
    assert [(e.loc, e.msg, e.type) for e in unknown.value.errors] == [
        (["body", "model_id"], "Not a model in the catalog.", "unknown_model")
    ]
    # Worded as the catalog's own 404 for the same model.
    assert unknown.value.detail == "No model with id fal-ai/nope in the catalog."
