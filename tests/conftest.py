"""Suite-wide fixtures: real backend servers (started lazily, once per session) and
per-test isolation (a fresh database name, bucket, subject prefix, directory).

Which server backs each fixture is decided in :mod:`tests.support.servers`; see
docs/testing.md for the order of preference and the environment variables.

Errors of background tasks (a consumer still binding when its connection closes, say) are
caught by :mod:`tests.support.task_errors`: recorded against the test that was running, logged,
and listed at the end of the run, instead of travelling through the event loop every test
shares.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from tests.fakes.fal_server import FakeFal, running_fake_fal
from tests.support import task_errors
from tests.support.servers import (
    Backends,
    S3Server,
    drop_mongo_database,
    remove_bucket,
    remove_nats_streams,
)

if TYPE_CHECKING:
    from tests.support.full_stack import Servers

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


@pytest.fixture(params=["mongo", "secantus"])
async def any_db(
    request: pytest.FixtureRequest, mongo_db_name: str
) -> AsyncIterator[AsyncDatabase[dict[str, Any]]]:
    """A fresh database on the main MongoDB backend, then on SecantusDB (which behaves much
    closer to MongoDB): for a store's tests that must hold on every server."""
    url = str(request.getfixturevalue(f"{request.param}_url"))
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(url, tz_aware=True)
    yield client[mongo_db_name]
    await client.close()


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
async def fal() -> AsyncIterator[FakeFal]:
    """The fake fal.ai server (fal's documented queue protocol over real HTTP), fresh per test."""
    async with running_fake_fal() as fake:
        yield fake


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A fresh directory for files the test writes."""
    return tmp_path


# --- background task errors --------------------------------------------------------------


class _TaskErrorWatch:
    """Registered as a plugin (not conftest hooks, which pytest scopes to the tests under this
    directory): the session-scoped event loop is set up by the session node."""

    @pytest.hookimpl(wrapper=True)
    def pytest_fixture_setup(
        self, fixturedef: pytest.FixtureDef[object], request: pytest.FixtureRequest
    ) -> Generator[None, object, object]:
        """Give every event loop pytest-asyncio creates our exception handler."""
        value = yield
        if isinstance(value, asyncio.Runner):
            task_errors.watch(value.get_loop())
        return value

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        task_errors.now_running(item.nodeid, "setup")

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_call(self, item: pytest.Item) -> None:
        task_errors.now_running(item.nodeid, "call")

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_teardown(self, item: pytest.Item) -> None:
        task_errors.now_running(item.nodeid, "teardown")

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        """With ``STUDIO_TEST_TASK_ERRORS=fail``, a test whose background tasks failed fails."""
        report = yield
        if call.when == "teardown":
            task_errors.now_running("", "between tests")
            failure = task_errors.failure_for(item.nodeid)
            if failure and report.passed:
                report.outcome = "failed"
                report.longrepr = failure
        return report


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(_TaskErrorWatch(), "studio-task-error-watch")
    config.addinivalue_line(
        "markers",
        "fast: the fast tier (set by the conftest on tests/unit tests that need no server): "
        "`make test-fast` or `pytest -m fast tests/unit`",
    )


# --- the fast tier -----------------------------------------------------------------------

_UNIT = Path(__file__).parent / "unit"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the fast tier: tests under tests/unit that start no backend server."""
    for item in items:
        needs_servers = "backends" in getattr(item, "fixturenames", ())
        if item.path.is_relative_to(_UNIT) and not needs_servers:
            item.add_marker(pytest.mark.fast)


# --- reporting -----------------------------------------------------------------------


_ERRORS = pytest.StashKey[list[str]]()


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Under pytest-xdist (`make test`), hand this worker's report lines to the controller,
    which prints them: a worker's own terminal summary is never shown."""
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput["studio_worker"] = getattr(session.config, "workerinput", {}).get("workerid")
        workeroutput["studio_servers"] = session.config.stash.get(_SUMMARY, [])
        workeroutput["studio_task_errors"] = task_errors.summary()


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    """The controller gathers what each xdist worker handed over (see above)."""
    output = getattr(node, "workeroutput", {})
    worker = output.get("studio_worker", "worker")
    for key, field in ((_SUMMARY, "studio_servers"), (_ERRORS, "studio_task_errors")):
        lines = node.config.stash.setdefault(key, [])
        lines.extend(f"[{worker}] {line}" for line in output.get(field, []))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say which servers ran, how long they took, and where logs are kept after failures;
    list the errors background tasks raised (each xdist worker's, under xdist)."""
    stash = terminalreporter.config.stash
    lines = stash.get(_SUMMARY, [])
    if lines:
        terminalreporter.section("test servers")
        for line in lines:
            terminalreporter.write_line(line)
    errors = task_errors.summary() + stash.get(_ERRORS, [])
    if errors:
        terminalreporter.section("errors in background tasks (see the logs of these tests)")
        for line in errors:
            terminalreporter.write_line(line)


@pytest.fixture
def servers(mongo_url: str, mongo_db_name: str, nats_url: str, nats_prefix: str) -> Servers:
    """The real servers and this test's isolation names, as `full_stack` takes them."""
    # Imported here: it imports every service, which the fast tier (tests/unit) needs not.
    from tests.support.full_stack import Servers

    return Servers(mongo_url, mongo_db_name, nats_url, nats_prefix)
