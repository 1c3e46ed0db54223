"""Where asset bytes live: the `ObjectStore` interface, its S3 and directory backends, and
`object_store_from_url` to build the configured one."""

from typing import TYPE_CHECKING, Any

from studio_storage.base import ObjectInfo, ObjectNotFound, ObjectStore, ObjectStoreError
from studio_storage.common import validate_key
from studio_storage.directory import DirectoryObjectStore
from studio_storage.factory import object_store_from_url
from studio_storage.settings import StorageSettings

if TYPE_CHECKING:
    from studio_storage.s3 import S3ObjectStore

__all__ = [
    "DirectoryObjectStore",
    "ObjectInfo",
    "ObjectNotFound",
    "ObjectStore",
    "ObjectStoreError",
    "S3ObjectStore",
    "StorageSettings",
    "object_store_from_url",
    "validate_key",
]


def __getattr__(name: str) -> Any:
    # The S3 backend's SDK (minio and its crypto) is imported only by those who use it: a
    # quarter of a second of CPU at each start of a service whose storage is a directory.
    if name == "S3ObjectStore":
        from studio_storage.s3 import S3ObjectStore

        return S3ObjectStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
