"""Where asset bytes live: the `ObjectStore` interface, its S3 and directory backends, and
`object_store_from_url` to build the configured one."""

from studio_storage.base import ObjectInfo, ObjectNotFound, ObjectStore, ObjectStoreError
from studio_storage.common import validate_key
from studio_storage.directory import DirectoryObjectStore
from studio_storage.factory import object_store_from_url
from studio_storage.s3 import S3ObjectStore
from studio_storage.settings import StorageSettings

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
