"""The assets service."""

from fastapi import FastAPI
from studio_contracts.subjects import ASSETS_STREAM
from studio_runtime.resources import create_data_service_app

from studio_assets.settings import AssetsSettings


def create_app(settings: AssetsSettings | None = None) -> FastAPI:
    settings = settings or AssetsSettings()
    return create_data_service_app(name="assets", settings=settings, own_streams=[ASSETS_STREAM])
