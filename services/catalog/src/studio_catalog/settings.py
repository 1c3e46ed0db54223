from pathlib import Path

from pydantic import Field
from studio_runtime.settings import ServiceSettings

from studio_catalog.datafile import DATA_DIR


class CatalogSettings(ServiceSettings):
    port: int = Field(default=8002, ge=0, le=65535)
    catalog_data_dir: Path = DATA_DIR
    """Directory of provider YAML files; the packaged catalog unless an operator ships their own."""
