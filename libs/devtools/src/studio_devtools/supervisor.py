"""The services of `make run` as child processes: start, wait until ready, keep running, stop.

Each service is forked from a fork server that has imported them all once
(:mod:`studio_devtools.prefork`); the fork server is named in the pid file as ``forkserver``.

After the stack is ready, a service that exits is restarted like a process supervisor would:
after 0.5 s, then 1, 2, 4 s... while crashes are frequent, and not at all once one service has
crashed :attr:`RestartPolicy.max_crashes` times within :attr:`RestartPolicy.window_s`: a
service that cannot stay up is a problem to report, not to hide. A service stopped from outside
with SIGTERM or SIGINT (a worker drained) did not crash: it is started again without counting.
"""

import asyncio
import contextlib
import os
import signal
import sys
import time
from collections import deque
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from studio_devtools.pidfile import parent_of
from studio_devtools.prefork import ForkServerError, ServiceProcess, spawn

READY_TIMEOUT_S = 60.0
READY_POLL_S = 0.1
STOP_TIMEOUT_S = 15.0
FIRST_TO_STOP = frozenset({"gateway", "worker"})
_PUMP_CHUNK = 1 << 16
FORK_SERVER = "forkserver"
STOPPED = frozenset({-signal.SIGTERM, -signal.SIGINT})
"""Exits by a signal that asks a process to stop, which the supervisor does not count as crashes."""


class StackError(RuntimeError):
    """Something stops the stack from starting; the message says what to do."""


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    module: str
    port: int
    args: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)


@dataclass
class RestartPolicy:
    """When to restart a crashed service: exponential backoff, and a limit on crash loops."""

    max_crashes: int = 5
    window_s: float = 60.0
    first_delay_s: float = 0.5
    max_delay_s: float = 8.0
    _crashes: deque[float] = field(default_factory=deque, init=False, repr=False)

    def crashed(self, now: float) -> float | None:
        """Record a crash at ``now`` (monotonic seconds): the delay before restarting, or
        None when this crash is the ``max_crashes``-th within the window: give up."""
        self._crashes.append(now)
        while self._crashes[0] <= now - self.window_s:
            self._crashes.popleft()
        if len(self._crashes) >= self.max_crashes:
            return None
        return min(self.first_delay_s * 2.0 ** (len(self._crashes) - 1), self.max_delay_s)

    @property
    def recent(self) -> int:
        """Crashes within the window, as of the last one recorded."""
        return len(self._crashes)


@dataclass(eq=False)
class Service:
    spec: ServiceSpec
    prefix: str
    policy: RestartPolicy
    process: ServiceProcess | None = None
    pumps: list[asyncio.Task[None]] = field(default_factory=list)


class Supervisor:
    """Runs ``specs`` with ``env``; ``on_spawn(name, pid)`` hears of every process started."""

    def __init__(
        self,
        specs: list[ServiceSpec],
        env: dict[str, str],
        on_spawn: Callable[[str, int], None],
        policy: Callable[[], RestartPolicy] = RestartPolicy,
    ) -> None:
        colours = ("36", "33", "35", "32", "34", "31", "96")
        tty = sys.stdout.isatty()
        self._services = [
            Service(spec, _prefix(spec.name, colours[i % len(colours)], tty), policy())
            for i, spec in enumerate(specs)
        ]
        self._env = env
        self._on_spawn = on_spawn
        self._background: set[asyncio.Task[None]] = set()
        self._fork_server: int | None = None

    async def start(self) -> None:
        for service in self._services:
            await self._spawn(service)

    async def wait_ready(self, stop: asyncio.Event) -> None:
        """Until every service answers /readyz; a service that exits meanwhile is an error."""
        deadline = time.monotonic() + READY_TIMEOUT_S
        pending = list(self._services)
        async with httpx.AsyncClient(timeout=2) as client:
            while pending and not stop.is_set():
                for service in list(pending):
                    assert service.process is not None
                    code = service.process.returncode
                    if code is not None:
                        raise StackError(
                            f"{service.spec.name} {_exit(code)} while starting (see its lines above)"
                        )
                    if await _ready(client, service.spec.port, service.process.pid):
                        pending.remove(service)
                if time.monotonic() > deadline:
                    names = ", ".join(s.spec.name for s in pending)
                    raise StackError(f"not ready after {READY_TIMEOUT_S:.0f}s: {names}")
                await asyncio.sleep(READY_POLL_S)

    async def supervise(
        self, stop: asyncio.Event, also: Sequence[Coroutine[Any, Any, None]] = ()
    ) -> int:
        """Keep the services running until ``stop`` (0) or a service crashes too often (1).
        ``also``: other keepers (the embedded servers'), whose return means giving up too."""
        keepers = [asyncio.create_task(self._keep_running(s)) for s in self._services]
        keepers += [asyncio.create_task(keeper) for keeper in also]
        stopper = asyncio.create_task(stop.wait())
        try:
            done, _ = await asyncio.wait([stopper, *keepers], return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                task.result()  # a bug in a keeper must surface, not pass for a crash loop
            return 0 if stop.is_set() else 1
        finally:
            tasks = [stopper, *keepers, *self._background]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def stop(self) -> None:
        """Stop the services in two waves: first those named in ``FIRST_TO_STOP`` (the gateway,
        so nothing new comes in, and the worker, whose jobs in flight still need the others to
        finish), then the rest. SIGTERM a wave's services at once, wait, SIGKILL those that
        linger."""
        first = [s for s in self._services if s.spec.name in FIRST_TO_STOP]
        rest = [s for s in self._services if s.spec.name not in FIRST_TO_STOP]
        for wave in (first, rest):
            await self._stop_all(wave)
        pumps = [pump for s in self._services for pump in s.pumps]
        # A helper process that inherited a service's output could keep its pipe open.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.gather(*pumps, return_exceptions=True), 2)
        if self._fork_server is not None:
            await _stop_fork_server(self._fork_server)

    async def _stop_all(self, services: list[Service]) -> None:
        for service in reversed(services):
            if service.process is not None and service.process.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    service.process.send_signal(signal.SIGTERM)
        for service in services:
            process = service.process
            if process is None:
                continue
            try:
                await asyncio.wait_for(process.wait(), STOP_TIMEOUT_S)
            except TimeoutError:
                say(f"{service.spec.name} did not stop in {STOP_TIMEOUT_S:.0f}s; killing it")
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                await process.wait()

    async def _keep_running(self, service: Service) -> None:
        """Restart ``service`` whenever it exits; return when its policy gives up."""
        name, policy = service.spec.name, service.policy
        while True:
            assert service.process is not None
            code = await service.process.wait()
            if code in STOPPED:
                # Asked to stop from outside (a worker drained with SIGTERM): not a crash, and
                # not counted towards giving up; it is started again all the same.
                say(f"{name} {_exit(code)}: stopped, not crashed; starting it again")
                await asyncio.sleep(policy.first_delay_s)
                await self._respawn(service)
                continue
            delay = policy.crashed(time.monotonic())
            if delay is None:
                say(
                    f"{name} {_exit(code)}; {policy.recent} crashes in {policy.window_s:.0f}s: "
                    "giving up and stopping everything"
                )
                return
            say(
                f"{name} {_exit(code)}; restarting in {delay:.1f}s "
                f"(crash {policy.recent} of {policy.max_crashes} in {policy.window_s:.0f}s)"
            )
            await asyncio.sleep(delay)
            await self._respawn(service)

    async def _respawn(self, service: Service) -> None:
        await self._spawn(service)
        task = asyncio.create_task(self._announce_ready(service))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _announce_ready(self, service: Service) -> None:
        process = service.process
        assert process is not None
        deadline = time.monotonic() + READY_TIMEOUT_S
        async with httpx.AsyncClient(timeout=2) as client:
            while process.returncode is None and time.monotonic() < deadline:
                if await _ready(client, service.spec.port, process.pid):
                    say(f"{service.spec.name} is ready again (pid {process.pid})")
                    return
                await asyncio.sleep(0.1)

    async def _spawn(self, service: Service) -> None:
        spec = service.spec
        env = {**self._env, **spec.env, "STUDIO_PORT": str(spec.port)}
        try:
            process = await spawn(spec.module, spec.args, env)
        except ForkServerError as exc:
            raise StackError(f"{exc} (see its error above)") from exc
        service.process = process
        service.pumps = [p for p in service.pumps if not p.done()]
        service.pumps.append(asyncio.create_task(_pump(process.stdout, service.prefix)))
        self._on_spawn(spec.name, process.pid)
        # The fork server the services come from is a process of this launcher's too (it ends
        # with it); named in the pid file like the others, and again should it be replaced.
        server = parent_of(process.pid)
        if (
            server not in (None, os.getpid(), self._fork_server)
            and parent_of(server) == os.getpid()
        ):
            self._fork_server = server
            self._on_spawn(FORK_SERVER, server)


async def _stop_fork_server(pid: int) -> None:
    """SIGTERM the fork server (it would end with the launcher, but the pid file is given up
    first) and wait for it to end; SIGKILL it if it lingers. It is left for multiprocessing to
    reap: reaped here, a later start in this process (a test's) would find the pid it keeps no
    longer a child and fail instead of starting a new fork server."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while not _ended(pid):
        if time.monotonic() > deadline:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        await asyncio.sleep(0.02)


def _ended(pid: int) -> bool:
    """Whether child `pid` has exited (or is no child of ours), without reaping it."""
    try:
        return os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except ChildProcessError:
        return True


async def _ready(client: httpx.AsyncClient, port: int, pid: int) -> bool:
    """Whether the service ``pid`` answers `/readyz` on ``port``: the answer must come from that
    process, not from another one holding the port (whose answer would announce a service that
    is still starting, or about to fail to bind it)."""
    # A service listens only once it has started: until then a bare connection attempt,
    # refused at once, is all a look costs (an HTTP client's attempt costs several times more,
    # six services looked at ten times a second while they import on the same two cores).
    try:
        _, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        return False
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
    with contextlib.suppress(httpx.HTTPError):
        response = await client.get(f"http://127.0.0.1:{port}/readyz")
        return response.status_code == 200 and listens_on(pid, port) is not False
    return False


def listens_on(pid: int, port: int) -> bool | None:
    """Whether process ``pid`` holds a TCP socket listening on ``port``; None where that cannot
    be told (no `/proc`, or another user's process), which callers take for yes.

    Linux's `/proc/net/tcp{,6}` give each listening socket's port and inode; the process's
    `/proc/<pid>/fd` links name the inodes of the sockets it holds."""
    inodes: set[str] = set()
    read = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):  # no tcp6 where IPv6 is off
        try:
            with open(table) as lines:
                next(lines, None)  # the column names
                for line in lines:
                    fields = line.split()
                    # local address `ADDR:PORT` in hex, state 0A is LISTEN, inode tenth.
                    listening = len(fields) > 9 and fields[3] == "0A"
                    if listening and int(fields[1].rsplit(":", 1)[1], 16) == port:
                        inodes.add(fields[9])
            read += 1
        except OSError:
            continue
    if not read:
        return None
    try:
        links = os.scandir(f"/proc/{pid}/fd")
    except PermissionError:
        return None
    except OSError:
        return False  # the process is gone
    held: set[str] = set()
    with links:
        for link in links:
            with contextlib.suppress(OSError):  # an fd closed meanwhile
                target = os.readlink(link.path)
                if target.startswith("socket:["):
                    held.add(target[len("socket:[") : -1])
    return bool(inodes & held)


async def _pump(stream: asyncio.StreamReader, prefix: str) -> None:
    """Copy a service's output to ours, line by line with its prefix, until it closes.

    Reads chunks rather than lines (a line longer than the reader's limit would end
    ``readline``) and never fails on our side's write errors: if this stopped reading, the
    service would block on its next log line once the pipe is full.
    """
    pending = b""
    while chunk := await stream.read(_PUMP_CHUNK):
        *lines, pending = (pending + chunk).split(b"\n")
        if len(pending) >= _PUMP_CHUNK:
            lines.append(pending)
            pending = b""
        _write(prefix, lines)
    if pending:
        _write(prefix, [pending])


def _write(prefix: str, lines: list[bytes]) -> None:
    if not lines:
        return
    text = "".join(f"{prefix}{line.decode(errors='replace')}\n" for line in lines)
    with contextlib.suppress(OSError, ValueError):  # our stdout is gone: keep draining theirs
        sys.stdout.write(text)
        sys.stdout.flush()


def _prefix(name: str, colour: str, tty: bool) -> str:
    return f"\x1b[{colour}m{name:>10} |\x1b[0m " if tty else f"{name:>10} | "


def _exit(code: int) -> str:
    if code < 0:
        with contextlib.suppress(ValueError):
            return f"exited with code {code} ({signal.Signals(-code).name})"
    return f"exited with code {code}"


def say(message: str) -> None:
    """A line of the launcher's own, among the services' prefixed lines."""
    with contextlib.suppress(OSError, ValueError):
        print(f"{'studio':>10} | {message}", flush=True)
