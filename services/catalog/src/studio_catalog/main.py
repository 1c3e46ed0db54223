"""The catalog service: the model catalog, loaded from its data files at start-up."""

from fastapi import FastAPI
from studio_runtime.app import create_service_app

from studio_catalog import starters
from studio_catalog.api import router
from studio_catalog.availability import configured_runtimes, with_availability
from studio_catalog.catalog import Catalog
from studio_catalog.datafile import load_models, public_unavailable
from studio_catalog.service import CatalogService
from studio_catalog.settings import CatalogSettings


def create_app(settings: CatalogSettings | None = None) -> FastAPI:
    settings = settings or CatalogSettings()
    # Loaded here, not lazily: a bad data file must stop the service at start-up.
    models = load_models(settings.catalog_data_dir)
    starter_list = starters.load_starters(models, settings.catalog_starters_file)
    catalog = Catalog(with_availability(models, configured_runtimes(settings)))
    app = create_service_app(name="catalog", settings=settings, routers=[router])
    app.state.catalog = CatalogService(
        catalog,
        starters.with_availability(starter_list, catalog.models),
        public_unavailable(models, settings.catalog_data_dir),
    )
    return app
