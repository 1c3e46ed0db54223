from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr
from studio_runtime.settings import ServiceSettings

from studio_catalog.datafile import DATA_DIR
from studio_catalog.starters import STARTERS_FILE


class CatalogSettings(ServiceSettings):
    port: int = Field(default=8002, ge=0, le=65535)
    catalog_data_dir: Path = DATA_DIR
    """Directory of provider YAML files; the packaged catalog unless an operator ships their own."""
    catalog_starters_file: Path = STARTERS_FILE
    """The starter templates' YAML file; checked against the models above at start-up."""
    fal_configured: bool | None = None
    """Whether hosted (fal) models can run on this server (`STUDIO_FAL_CONFIGURED`). Unset: they
    can when a fal key is in the environment, which is where the worker reads it from too."""
    fal_key: SecretStr = Field(
        default=SecretStr(""),
        validation_alias=AliasChoices("STUDIO_FAL_KEY", "FAL_KEY"),
        exclude=True,
        repr=False,
    )
    """Read only to know whether there is one: the catalog never uses, logs or serves the key."""

    @property
    def hosted_models_configured(self) -> bool:
        if self.fal_configured is not None:
            return self.fal_configured
        return bool(self.fal_key.get_secret_value().strip())
