"""The compose file runs modules that exist, with settings the services really read."""

import importlib.util
from pathlib import Path
from typing import Any

import yaml
from pydantic_settings import BaseSettings
from studio_assets.settings import AssetsSettings
from studio_catalog.settings import CatalogSettings
from studio_gateway.settings import GatewaySettings
from studio_generation.settings import GenerationSettings, WorkerSettings
from studio_projects.settings import ProjectsSettings

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
                assert field in settings.model_fields, (
                    f"{name}: {variable} is not read by {settings.__name__}"
                )
