"""The storage settings every service that keeps bytes shares (`STUDIO_STORAGE_*`)."""

from pydantic import SecretStr, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from studio_storage.base import ObjectStore
from studio_storage.factory import object_store_from_url


class StorageSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="STUDIO_", extra="ignore", frozen=True)

    # The credentials come first: fields are checked in this order, and the URL's check
    # needs them (an S3 URL without keys anywhere is refused).
    storage_access_key: str = ""
    storage_secret_key: SecretStr = SecretStr("")
    storage_url: str = "file:.data/storage"
    """`file:///path` (a directory) or `s3://bucket?endpoint=http://host:9000[&region=…]
    [&public_endpoint=https://…]`; S3 credentials come from the two settings above."""

    @field_validator("storage_url")
    @classmethod
    def _names_a_store(cls, url: str, info: ValidationInfo) -> str:
        # Built and dropped, by the very code that builds it at start-up (nothing is reached
        # yet), so a URL it would refuse stops the service as a bad setting, naming the
        # variable, before the service connects to anything.
        secret = info.data.get("storage_secret_key")
        object_store_from_url(
            url,
            access_key=info.data.get("storage_access_key"),
            secret_key=secret.get_secret_value() if isinstance(secret, SecretStr) else None,
        )
        return url

    async def open_object_store(self) -> ObjectStore:
        """The configured store, its bucket or directory made ready."""
        store = object_store_from_url(
            self.storage_url,
            access_key=self.storage_access_key,
            secret_key=self.storage_secret_key.get_secret_value(),
        )
        await store.ensure_ready()
        return store
