"""Choose and start the real backends the tests run against.

Order of preference for NATS, MongoDB and S3 (see docs/testing.md):

1. an existing server named by ``STUDIO_TEST_NATS_URL`` / ``STUDIO_TEST_MONGO_URL`` /
   ``STUDIO_TEST_S3_URL`` (``http://ACCESS:SECRET@host:port``);
2. a container (official ``nats:2 -js``, ``mongo:8``, pinned ``minio/minio``) when a
   Docker engine answers and ``STUDIO_TEST_DOCKER`` is not ``0``;
3. a local process from :mod:`studio_devtools.servers`.

SecantusDB is always a local process. Each backend starts on first use only, once per
:class:`Backends` instance (the conftest keeps one per test session).
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import os
import shutil
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

import nats
import pymongo
from minio import Minio
from minio.deleteobjects import DeleteObject
from nats.aio.client import Client as NatsClient
from studio_devtools import servers

NATS_URL_ENV = "STUDIO_TEST_NATS_URL"
MONGO_URL_ENV = "STUDIO_TEST_MONGO_URL"
S3_URL_ENV = "STUDIO_TEST_S3_URL"
DOCKER_ENV = "STUDIO_TEST_DOCKER"

NATS_IMAGE = "nats:2"
MONGO_IMAGE = "mongo:8"
MINIO_IMAGE = "minio/minio:RELEASE.2025-04-22T22-12-26Z"

LOCAL_S3_ACCESS_KEY = "studio-test"
LOCAL_S3_SECRET_KEY = "studio-test-secret"  # throwaway local server


@dataclass(frozen=True)
class S3Server:
    """Where an S3-compatible server is and how to sign requests to it."""

    endpoint: str
    """Base URL, e.g. ``http://127.0.0.1:8333`` (no credentials, no trailing slash)."""
    access_key: str
    secret_key: str
    secure: bool = False
    region: str = "us-east-1"

    @classmethod
    def from_url(cls, url: str) -> S3Server:
        """Parse ``http(s)://ACCESS:SECRET@host:port`` (percent-encoding allowed)."""
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise ValueError(f"S3 URL must be http(s)://ACCESS:SECRET@host:port, got {url!r}")
        if parts.username is None or parts.password is None:
            raise ValueError(f"S3 URL must carry credentials as ACCESS:SECRET@, got {url!r}")
        host = parts.netloc.rpartition("@")[2]
        return cls(
            endpoint=f"{parts.scheme}://{host}",
            access_key=unquote(parts.username),
            secret_key=unquote(parts.password),
            secure=parts.scheme == "https",
        )

    @property
    def host(self) -> str:
        """``host:port`` as the minio SDK wants it."""
        return urlsplit(self.endpoint).netloc

    def client(self) -> Minio:
        """A minio SDK client; the region is fixed so no GetBucketLocation round trip."""
        return Minio(
            self.host,
            access_key=self.access_key,
            secret_key=self.secret_key,
            secure=self.secure,
            region=self.region,
        )


class _Stoppable(Protocol):
    def stop(self) -> Any: ...


@dataclass
class Backends:
    """Lazily started backends for one test session, and their cleanup.

    ``root`` holds the local servers' data and logs. :meth:`close` stops everything and
    removes ``root`` unless asked to keep it (the conftest keeps it when tests failed).
    """

    root: Path
    use_docker: bool | None = None
    """None: ask the Docker engine on first need."""
    timings: dict[str, float] = field(default_factory=dict)
    """Seconds each backend took to become ready, by name ("env" ones are not timed)."""
    sources: dict[str, str] = field(default_factory=dict)
    """Where each backend came from: "env", "docker" or "local"."""
    _cache: dict[str, Any] = field(default_factory=dict)
    _stoppables: list[_Stoppable] = field(default_factory=list)

    @classmethod
    def in_temp_dir(cls) -> Backends:
        return cls(Path(tempfile.mkdtemp(prefix="studio-test-servers-")))

    # --- public accessors ---------------------------------------------------------

    def nats_url(self) -> str:
        return str(self._once("nats", self._start_nats))

    def mongo_url(self) -> str:
        return str(self._once("mongo", self._start_mongo))

    def s3(self) -> S3Server:
        server = self._once("s3", self._start_s3)
        assert isinstance(server, S3Server)
        return server

    def secantus_url(self) -> str:
        return str(self._once("secantus", self._start_secantus))

    def started(self, name: str) -> bool:
        """Whether backend ``name`` ("nats", "mongo", "s3", "secantus") is up."""
        return name in self._cache

    def close(self, keep_files: bool) -> None:
        """Stop every server and container, then drop ``root`` unless ``keep_files``."""
        errors: list[Exception] = []
        for item in reversed(self._stoppables):
            try:
                item.stop()
            except Exception as exc:  # keep stopping the others
                errors.append(exc)
        self._stoppables.clear()
        self._cache.clear()
        if not keep_files:
            shutil.rmtree(self.root, ignore_errors=True)
        if errors:
            raise ExceptionGroup("stopping test backends failed", errors)

    def log_files(self) -> list[Path]:
        return sorted(self.root.glob("*/*.log"))

    # --- starting -----------------------------------------------------------------

    def _once(self, name: str, start: Callable[[], Any]) -> Any:
        if name not in self._cache:
            began = time.monotonic()
            self._cache[name] = start()
            if self.sources.get(name) != "env":
                self.timings[name] = time.monotonic() - began
        return self._cache[name]

    def _docker(self) -> bool:
        if self.use_docker is None:
            self.use_docker = os.environ.get(DOCKER_ENV, "1") != "0" and docker_available()
        return self.use_docker

    def _start_nats(self) -> str:
        if url := os.environ.get(NATS_URL_ENV):
            self.sources["nats"] = "env"
            return url
        if self._docker():
            from testcontainers.community.nats import NatsContainer

            nats = NatsContainer(NATS_IMAGE, jetstream=True)
            self._start_container("nats", nats)
            return str(nats.nats_uri())
        return self._local("nats", lambda: servers.start_nats(self.root / "nats")).url

    def _start_mongo(self) -> str:
        if url := os.environ.get(MONGO_URL_ENV):
            self.sources["mongo"] = "env"
            return url
        if self._docker():
            from testcontainers.community.mongodb import MongoDbContainer

            mongo = MongoDbContainer(MONGO_IMAGE)
            self._start_container("mongo", mongo)
            return str(mongo.get_connection_url())
        return self._local("mongo", lambda: servers.start_mongo(self.root / "mongo")).url

    def _start_s3(self) -> S3Server:
        if url := os.environ.get(S3_URL_ENV):
            self.sources["s3"] = "env"
            return S3Server.from_url(url)
        if self._docker():
            from testcontainers.community.minio import MinioContainer

            minio = MinioContainer(
                MINIO_IMAGE, access_key=LOCAL_S3_ACCESS_KEY, secret_key=LOCAL_S3_SECRET_KEY
            )
            minio.with_env("MINIO_ROOT_USER", LOCAL_S3_ACCESS_KEY)
            minio.with_env("MINIO_ROOT_PASSWORD", LOCAL_S3_SECRET_KEY)
            self._start_container("s3", minio)
            config = minio.get_config()
            return S3Server(
                f"http://{config['endpoint']}", LOCAL_S3_ACCESS_KEY, LOCAL_S3_SECRET_KEY
            )
        server = self._local(
            "s3",
            lambda: servers.start_seaweedfs(
                self.root / "seaweedfs", LOCAL_S3_ACCESS_KEY, LOCAL_S3_SECRET_KEY
            ),
        )
        return S3Server(server.url, LOCAL_S3_ACCESS_KEY, LOCAL_S3_SECRET_KEY)

    def _start_secantus(self) -> str:
        return self._local("secantus", lambda: servers.start_secantusdb(self.root / "secantus")).url

    def _local(
        self, name: str, start: Callable[[], servers.ServerProcess]
    ) -> servers.ServerProcess:
        self.sources[name] = "local"
        process = start()
        self._stoppables.append(process)
        return process

    def _start_container(self, name: str, container: Any) -> None:
        self.sources[name] = "docker"
        container.start()
        self._stoppables.append(container)


def docker_available(timeout: float = 2) -> bool:
    """Whether a Docker engine answers a ping; any failure just means "no"."""
    try:
        import docker

        client = docker.from_env(timeout=timeout)
        try:
            return bool(client.ping())
        finally:
            with contextlib.suppress(Exception):
                client.close()
    except Exception:
        return False


# --- per-test cleanup ----------------------------------------------------------------


def drop_mongo_database(url: str, name: str) -> None:
    """Drop database ``name`` (tests' leftovers must not pile up on a shared server)."""
    _admin_client(url).drop_database(name)


@functools.cache
def _admin_client(url: str) -> pymongo.MongoClient[dict[str, Any]]:
    """One client per server for the session: a new client per test spent up to 5 s closing
    (its monitor thread finishing a check), after every test that ran with SecantusDB up."""
    client: pymongo.MongoClient[dict[str, Any]] = pymongo.MongoClient(
        url, serverSelectionTimeoutMS=5000
    )
    atexit.register(client.close)
    return client


def remove_bucket(client: Minio, bucket: str) -> None:
    """Delete every object of ``bucket`` (a real S3 refuses to drop a non-empty one), then it."""
    names = [
        DeleteObject(obj.object_name)
        for obj in client.list_objects(bucket, recursive=True)
        if obj.object_name is not None
    ]
    if names:
        failures = list(client.remove_objects(bucket, names))
        if failures:
            raise RuntimeError(f"could not empty bucket {bucket}: {failures}")
    client.remove_bucket(bucket)


@asynccontextmanager
async def nats_connection(url: str) -> AsyncIterator[NatsClient]:
    """A NATS connection of the test's own, closed at the end."""
    nc = await nats.connect(url)
    try:
        yield nc
    finally:
        await nc.close()


async def remove_nats_streams(url: str, prefix: str) -> None:
    """Delete the JetStream streams whose subjects all lie under ``prefix.``."""
    nc = await nats.connect(url, connect_timeout=5, max_reconnect_attempts=0)
    try:
        js = nc.jetstream()
        for info in await js.streams_info():
            subjects = info.config.subjects or []
            if subjects and all(s.startswith(f"{prefix}.") for s in subjects):
                await js.delete_stream(info.config.name or "")
    finally:
        await nc.close()
