"""The storage settings every service that keeps bytes shares (`STUDIO_STORAGE_*`)."""

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from studio_storage.base import ObjectStore
from studio_storage.factory import object_store_from_url


class StorageSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="STUDIO_", extra="ignore", frozen=True)

    storage_url: str = "file:.data/storage"
    """`file:///path` (a directory) or `s3://bucket?endpoint=http://host:9000[&region=…]
    [&public_endpoint=https://…]`; S3 credentials come from the two settings below."""
    storage_access_key: str = ""
    storage_secret_key: SecretStr = SecretStr("")

    async def open_object_store(self) -> ObjectStore:
        """The configured store, its bucket or directory made ready."""
        store = object_store_from_url(
            self.storage_url,
            access_key=self.storage_access_key,
            secret_key=self.storage_secret_key.get_secret_value(),
        )
        await store.ensure_ready()
        return store
