"""Suite-wide fixtures: real backend servers (started lazily, once per session) and
per-test isolation (a fresh database name, bucket, subject prefix, directory).

Which server backs each fixture is decided in :mod:`tests.support.servers`; see
docs/testing.md for the order of preference and the environment variables.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.support.full_stack import Servers
from tests.support.servers import (
    Backends,
    S3Server,
    drop_mongo_database,
    remove_bucket,
    remove_nats_streams,
)

_SUMMARY = pytest.StashKey[list[str]]()


# --- session-wide servers ----------------------------------------------------------


@pytest.fixture(scope="session")
def backends(request: pytest.FixtureRequest) -> Iterator[Backends]:
    """The session's backend registry; servers start when a fixture below first asks."""
    registry = Backends.in_temp_dir()
    yield registry
    failed = request.session.testsfailed > 0
    logs = registry.log_files()
    summary = [
        f"{name}: {source}"
        + (f", ready in {registry.timings[name]:.1f}s" if name in registry.timings else "")
        for name, source in registry.sources.items()
    ]
    try:
        registry.close(keep_files=failed)
    finally:
        if failed and logs:
            summary.append(f"tests failed: server data and logs kept in {registry.root}")
            summary.extend(f"  {path}" for path in logs)
        request.config.stash[_SUMMARY] = summary


@pytest.fixture(scope="session")
def nats_url(backends: Backends) -> str:
    """URL of a NATS server with JetStream enabled."""
    return backends.nats_url()


@pytest.fixture(scope="session")
def mongo_url(backends: Backends) -> str:
    """URL of a MongoDB (or MongoDB wire-compatible) server."""
    return backends.mongo_url()


@pytest.fixture(scope="session")
def s3(backends: Backends) -> S3Server:
    """An S3-compatible server and credentials with admin rights on it."""
    return backends.s3()


@pytest.fixture(scope="session")
def secantus_url(backends: Backends) -> str:
    """URL of a local SecantusDB server (repository conformance tests only)."""
    return backends.secantus_url()


# --- per-test isolation --------------------------------------------------------------


@pytest.fixture
def mongo_db_name(backends: Backends) -> Iterator[str]:
    """A database name no other test uses; the database is dropped afterwards."""
    name = f"t_{uuid.uuid4().hex[:16]}"
    yield name
    for started, url in (("mongo", backends.mongo_url), ("secantus", backends.secantus_url)):
        if backends.started(started):
            drop_mongo_database(url(), name)


@pytest.fixture
def s3_bucket(s3: S3Server) -> Iterator[str]:
    """A freshly created, empty bucket; removed with its objects afterwards."""
    client = s3.client()
    name = f"t-{uuid.uuid4().hex[:20]}"
    client.make_bucket(name)
    yield name
    remove_bucket(client, name)


@pytest.fixture
async def nats_prefix(backends: Backends) -> AsyncIterator[str]:
    """A subject prefix no other test uses (subjects ``<prefix>.something``).

    Streams whose subjects all live under the prefix are deleted afterwards.
    """
    prefix = f"t{uuid.uuid4().hex[:12]}"
    yield prefix
    if backends.started("nats"):
        await remove_nats_streams(backends.nats_url(), prefix)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A fresh directory for files the test writes."""
    return tmp_path


# --- reporting -----------------------------------------------------------------------


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say which servers ran, how long they took, and where logs are kept after failures."""
    lines = terminalreporter.config.stash.get(_SUMMARY, [])
    if lines:
        terminalreporter.section("test servers")
        for line in lines:
            terminalreporter.write_line(line)


@pytest.fixture
def servers(mongo_url: str, mongo_db_name: str, nats_url: str, nats_prefix: str) -> Servers:
    """The real servers and this test's isolation names, as `full_stack` takes them."""
    return Servers(mongo_url, mongo_db_name, nats_url, nats_prefix)
