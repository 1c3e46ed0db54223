"""Building the configured object store from one URL setting.

- `file:///abs/path` or `file:relative/path` (relative to the working directory at startup):
  a `DirectoryObjectStore`.
- `s3://BUCKET?endpoint=http://host:9000[&region=…][&public_endpoint=https://…]
  [&access_key=…&secret_key=…]`: an `S3ObjectStore`. TLS follows the endpoint's scheme.
  The credentials may (and in production should) come as keyword arguments instead, so
  secrets stay out of the URL; the keywords win when both are given.
"""

import re
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, unquote, urlsplit

from studio_storage.base import ObjectStore
from studio_storage.directory import DirectoryObjectStore

if TYPE_CHECKING:
    from studio_storage.s3 import S3ObjectStore

_S3_PARAMS = frozenset({"endpoint", "region", "public_endpoint", "access_key", "secret_key"})


def object_store_from_url(
    url: str, *, access_key: str | None = None, secret_key: str | None = None
) -> ObjectStore:
    """The store `url` names; ValueError (saying what is accepted) for anything else."""
    scheme = url.partition(":")[0].lower() if ":" in url else ""
    if scheme == "file":
        return DirectoryObjectStore(_file_path(url))
    if scheme == "s3":
        return _s3_store(url, access_key=access_key, secret_key=secret_key)
    raise ValueError(
        f"unsupported storage URL {_redact(url)!r}: use file:///abs/path, file:relative/path "
        "or s3://BUCKET?endpoint=http://host:port"
    )


def _file_path(url: str) -> Path:
    parts = urlsplit(url)
    if parts.netloc not in {"", "localhost"}:
        raise ValueError(f"file URL {url!r} names a host; use file:///abs/path")
    if parts.query or parts.fragment:
        raise ValueError(f"file URL {url!r} must not have a query or fragment")
    path = unquote(parts.path)
    if not path:
        raise ValueError(f"file URL {url!r} has no path")
    return Path(path)


def _s3_store(url: str, *, access_key: str | None, secret_key: str | None) -> "S3ObjectStore":
    # Imported here: a directory store's process never loads the S3 SDK (see __init__).
    from studio_storage.s3 import S3ObjectStore, check_bucket_name

    parts = urlsplit(url)
    bucket = parts.netloc
    if parts.path not in {"", "/"} or parts.fragment:
        raise ValueError(f"S3 URL {_redact(url)!r}: use s3://BUCKET?endpoint=…, with no path")
    try:
        check_bucket_name(bucket)
    except ValueError as exc:
        raise ValueError(f"S3 URL {_redact(url)!r}: {exc}") from None
    params: dict[str, str] = {}
    for name, value in parse_qsl(parts.query, keep_blank_values=True, strict_parsing=False):
        if name not in _S3_PARAMS:
            raise ValueError(
                f"S3 URL {_redact(url)!r}: unknown parameter {name!r} "
                f"(known: {', '.join(sorted(_S3_PARAMS))})"
            )
        if name in params:
            raise ValueError(f"S3 URL {_redact(url)!r}: parameter {name!r} given twice")
        params[name] = value
    endpoint = params.get("endpoint")
    if not endpoint:
        raise ValueError(f"S3 URL {_redact(url)!r} needs endpoint=http(s)://host:port")
    key = access_key or params.get("access_key")
    secret = secret_key or params.get("secret_key")
    if not key or not secret:
        raise ValueError(
            f"S3 storage {bucket!r} needs an access key and a secret key "
            "(STUDIO_STORAGE_ACCESS_KEY and STUDIO_STORAGE_SECRET_KEY, or access_key=/secret_key= "
            "in the URL)"
        )
    return S3ObjectStore(
        endpoint,
        key,
        secret,
        bucket,
        region=params.get("region") or "us-east-1",
        public_endpoint=params.get("public_endpoint") or None,
    )


def _redact(url: str) -> str:
    """The URL with any secret_key value masked, for error messages and logs."""
    return re.sub(r"(secret_key=)[^&#]*", r"\1***", url)
