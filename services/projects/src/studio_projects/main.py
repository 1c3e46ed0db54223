"""The projects service."""

from fastapi import FastAPI
from studio_contracts.subjects import PROJECTS_STREAM
from studio_runtime.resources import create_data_service_app

from studio_projects.settings import ProjectsSettings


def create_app(settings: ProjectsSettings | None = None) -> FastAPI:
    settings = settings or ProjectsSettings()
    return create_data_service_app(
        name="projects", settings=settings, own_streams=[PROJECTS_STREAM]
    )
