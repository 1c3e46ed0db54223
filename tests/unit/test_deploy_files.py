"""The compose file runs modules that exist, with settings the services really read."""

import importlib.util
import re
import socket
from pathlib import Path
from typing import Any

import yaml
from pydantic_settings import BaseSettings
from studio_assets.settings import AssetsSettings
from studio_catalog.settings import CatalogSettings
from studio_gateway.settings import GatewaySettings
from studio_generation.settings import HOSTNAME, GenerationSettings, WorkerSettings
from studio_projects.settings import ProjectsSettings
from studio_runtime.serve import ProxySettings

COMPOSE = yaml.safe_load((Path(__file__).parents[2] / "docker-compose.yml").read_text())
SETTINGS: dict[str | tuple[str, str], type[BaseSettings]] = {
    "studio_projects": ProjectsSettings,
    "studio_catalog": CatalogSettings,
    "studio_assets": AssetsSettings,
    "studio_gateway": GatewaySettings,
    ("studio_generation", "api"): GenerationSettings,
    ("studio_generation", "worker"): WorkerSettings,
}


def studio_services() -> dict[str, dict[str, Any]]:
    return {
        name: spec
        for name, spec in COMPOSE["services"].items()
        if "command" in spec and spec["command"][:2] == ["python", "-m"]
    }


def test_every_studio_service_runs_an_importable_module() -> None:
    services = studio_services()
    assert len(services) == 6
    for name, spec in services.items():
        module = spec["command"][2]
        assert importlib.util.find_spec(module) is not None, name


def test_every_studio_variable_in_compose_is_a_setting_of_that_service() -> None:
    for name, spec in studio_services().items():
        module, *args = spec["command"][2:]
        settings = SETTINGS[(module, args[0])] if args else SETTINGS[module]
        for variable in spec["environment"]:
            if variable.startswith("STUDIO_"):
                field = variable.removeprefix("STUDIO_").lower()
                # Every service reads the proxy settings where it starts its server.
                assert field in settings.model_fields | ProxySettings.model_fields, (
                    f"{name}: {variable} is not read by {settings.__name__}"
                )


def _pulled_images() -> dict[str, str]:
    return {
        name: spec["image"] for name, spec in COMPOSE["services"].items() if "build" not in spec
    }


def test_every_pulled_image_is_pinned_and_nothing_is_tagged_latest() -> None:
    pulled = _pulled_images()
    assert set(pulled) == {"mongo", "nats", "minio"}
    for name, spec in COMPOSE["services"].items():
        image = spec["image"]
        assert ":" in image and not image.endswith(":latest"), f"{name}: {image}"
    for name, image in pulled.items():
        # A release, not a moving major-only tag (mongo:8 or nats:2 change under you).
        tag = image.rsplit(":", 1)[1]
        assert re.search(r"\d+\.\d+|RELEASE\.", tag), f"{name}: {image}"


ASKED_LATER = {("projects", "assets")}
"""A service asked only while running, never to start, and which waits for its caller: projects
asks assets for the next cover when a cover is deleted (a failed ask is retried), and assets
waits for projects. Waiting both ways would be a cycle compose refuses."""


def test_every_service_is_health_checked_and_waits_for_healthy_dependencies() -> None:
    services = COMPOSE["services"]
    for name, spec in services.items():
        assert spec.get("healthcheck", {}).get("test"), f"{name} has no healthcheck"
        for dependency, condition in (spec.get("depends_on") or {}).items():
            assert dependency in services, f"{name} depends on unknown {dependency}"
            assert condition == {"condition": "service_healthy"}, f"{name} → {dependency}"
    for name, spec in studio_services().items():
        assert spec["healthcheck"]["test"] == ["CMD", "python", "-m", "studio_runtime.healthcheck"]
        environment = spec["environment"]
        needs = {
            "mongo": "STUDIO_MONGO_URL" in environment,
            "nats": "STUDIO_NATS_URL" in environment,
            "minio": "STUDIO_STORAGE_URL" in environment,
        }
        for url_variable, value in environment.items():
            if url_variable.endswith("_URL") and value.startswith("http://"):
                host = value.removeprefix("http://").split(":")[0]
                needs[host] = (name, host) not in ASKED_LATER
        for dependency, needed in needs.items():
            if needed:
                assert dependency in (spec.get("depends_on") or {}), f"{name} → {dependency}"
    assert importlib.util.find_spec("studio_runtime.healthcheck") is not None


def test_the_env_example_names_every_variable_the_compose_file_reads() -> None:
    root = Path(__file__).parents[2]
    compose_text = (root / "docker-compose.yml").read_text()
    read = set(re.findall(r"\$\{([A-Z0-9_]+)", compose_text))
    example = (root / ".env.example").read_text()
    named = set(re.findall(r"^([A-Z0-9_]+)=", example, flags=re.MULTILINE))
    assert read == named
    assert ".env" in (root / ".gitignore").read_text().split()


def test_each_compose_worker_is_named_for_its_own_container() -> None:
    """A worker container Docker restarts after a crash takes back its jobs at once: its name
    is its container's host name, which no other container has and a restart keeps."""
    environment = COMPOSE["services"]["generation-worker"]["environment"]
    assert environment["STUDIO_WORKER_NAME"] == HOSTNAME
    settings = WorkerSettings.model_validate(
        {"internal_secret": "x" * 32, "worker_name": environment["STUDIO_WORKER_NAME"]}
    )
    assert settings.worker_name == socket.gethostname()
    # Within a longer name too; a name without it is kept as it is.
    assert (
        WorkerSettings.model_validate(
            {"internal_secret": "x" * 32, "worker_name": "studio-{hostname}-2"}
        ).worker_name
        == f"studio-{socket.gethostname()}-2"
    )
    assert (
        WorkerSettings.model_validate(
            {"internal_secret": "x" * 32, "worker_name": "w-1"}
        ).worker_name
        == "w-1"
    )


def test_the_image_is_built_from_pinned_releases() -> None:
    dockerfile = (Path(__file__).parents[2] / "Dockerfile").read_text()
    [base] = re.findall(r"^FROM (\S+)", dockerfile, flags=re.MULTILINE)
    # A patch release of the interpreter on a named Debian release, not python:3.11-slim.
    assert re.fullmatch(r"python:3\.\d+\.\d+-slim-[a-z]+", base), base
    assert re.search(r"pip install --no-cache-dir uv==\d+\.\d+\.\d+\n", dockerfile)


def test_the_gateway_is_published_on_this_machine_only_unless_asked() -> None:
    [published] = COMPOSE["services"]["gateway"]["ports"]
    assert published == "${STUDIO_PUBLISH_ADDRESS:-127.0.0.1}:8080:8080"
