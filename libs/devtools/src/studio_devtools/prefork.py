"""Service processes forked from one that has imported them already.

Started with ``python -m``, each of `make run`'s six service processes imported FastAPI,
pydantic, PyMongo, httpx and the studio's own modules on its own: 2 to 4.5 s of CPU apiece, all at
once on a laptop's cores, most of the stack's start. Python's fork server (:mod:`multiprocessing`,
start method ``forkserver``) imports a list of modules once, in a process of its own that starts
no threads, and forks each service from it; the child then runs the service's ``__main__`` as
``python -m`` would, finding everything imported.

What ``python -m`` gave a service and a fork does not, the child sets up itself: a session of
its own (Ctrl-C reaches the launcher alone, which stops the services in order), the service's
environment and arguments, its output into a pipe the launcher reads, the command line `ps`
shows (``…/python -m studio_generation worker``, as before), and death with the launcher. The kernel's parent-death signal does not serve here (the fork server, not the
launcher, is the parent, and it lives on while any child holds its pipe), so a thread in the
child waits on the launcher's end of a pipe and kills the process when it closes: when the
launcher ends, SIGKILL included.
"""

import asyncio
import atexit
import gc
import multiprocessing
import multiprocessing.connection
import multiprocessing.forkserver
import os
import runpy
import shutil
import signal
import socket
import sys
import tempfile
import threading
from collections.abc import Iterable, Mapping, Sequence
from multiprocessing.connection import Connection
from pathlib import Path

from setproctitle import setproctitle

__all__ = ["ForkServerError", "ServiceProcess", "keep_socket_in", "preload", "spawn"]

_CONTEXT = multiprocessing.get_context("forkserver")
_READ_LIMIT = 1 << 16
_SOCKET_PATH_MAX = 107
"""Bytes of a Unix socket's path (``sun_path`` holds 108 with the closing NUL)."""
_SOCKET_TAIL = len("/pymp-12345678/listener-12345678")
"""What multiprocessing adds to the directory it is given, for the fork server's socket."""


class ForkServerError(RuntimeError):
    """The fork server could not fork a service: it ended (its error is in the output above)."""


def keep_socket_in(directory: Path) -> bool:
    """Have the fork server's socket directory (``pymp-*``) made in ``directory``, and remove the
    ones an earlier launcher left there; whether it will be.

    multiprocessing makes that directory in the system's temporary one and removes it at exit,
    which a launcher killed outright (SIGKILL) never reaches: each such kill left one in /tmp for
    good. In the data directory, the next launch clears it. Only the launcher holding the data
    directory's pid file calls this, so no live process uses what it removes. A directory whose
    path would be too long for the socket, or on a file system without sockets (a mounted
    Windows drive), keeps the system's default.
    """
    if len(os.fsencode(directory)) + _SOCKET_TAIL > _SOCKET_PATH_MAX or not _takes_sockets(
        directory
    ):
        return False
    for left in directory.glob("pymp-*"):
        shutil.rmtree(left, ignore_errors=True)
    # The launcher's own temporary files follow (it makes none besides this).
    tempfile.tempdir = str(directory)
    return True


def _takes_sockets(directory: Path) -> bool:
    probe = directory / f".socket-probe-{os.getpid()}"
    try:
        with socket.socket(socket.AF_UNIX) as sock:
            sock.bind(os.fsencode(probe))
    except OSError:
        return False
    finally:
        probe.unlink(missing_ok=True)
    return True


def preload(modules: Iterable[str]) -> None:
    """Start the fork server now, importing ``modules``; it imports while the caller goes on.

    A module that fails to import is left out (the fork server skips it) and fails again, with
    its error in the service's output, when the service that needs it starts.
    """
    _CONTEXT.set_forkserver_preload(list(modules))
    multiprocessing.forkserver.ensure_running()


class ServiceProcess:
    """A forked service, with the part of :class:`asyncio.subprocess.Process` the launcher uses.

    Its exit is heard from the fork server, which reaps it and reports the status over a
    socket (``sentinel``); the status follows :mod:`subprocess` (``-N`` for signal N).
    """

    def __init__(self, process: multiprocessing.process.BaseProcess, stdout: asyncio.StreamReader):
        assert process.pid is not None
        self.pid: int = process.pid
        self.stdout = stdout
        self._process = process
        self._exited = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        self._loop.add_reader(process.sentinel, self._on_exit)

    @property
    def returncode(self) -> int | None:
        return self._process.exitcode if self._exited.is_set() else None

    async def wait(self) -> int:
        await self._exited.wait()
        code = self._process.exitcode
        assert code is not None
        return code

    def send_signal(self, sig: int) -> None:
        if not self._exited.is_set():
            os.kill(self.pid, sig)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def _on_exit(self) -> None:
        self._loop.remove_reader(self._process.sentinel)
        self._process.join(0)  # reads the status the fork server sent
        self._exited.set()


async def spawn(module: str, args: Sequence[str], env: Mapping[str, str]) -> ServiceProcess:
    """Fork ``python -m module *args`` with environment ``env`` from the fork server.

    Waits for the fork server to have imported what :func:`preload` gave it, the first time.
    """
    reader_end, writer_end = _CONTEXT.Pipe(duplex=False)
    # Daemonic: should the launcher ever exit with a service still running, multiprocessing
    # stops it (SIGTERM) rather than waiting for it forever.
    process = _CONTEXT.Process(
        target=_run_service,
        args=(module, tuple(args), dict(env), writer_end),
        name=module,
        daemon=True,
    )
    try:
        process.start()
    except (OSError, EOFError) as exc:
        # An import the fork server could not survive (an error other than ImportError in a
        # service's module) ends it, its traceback printed, and the request finds it gone.
        raise ForkServerError(f"the fork server ended before it could start {module}") from exc
    finally:
        writer_end.close()
    loop = asyncio.get_running_loop()
    stdout = asyncio.StreamReader(limit=_READ_LIMIT, loop=loop)
    pipe = os.fdopen(os.dup(reader_end.fileno()), "rb", buffering=0)
    reader_end.close()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(stdout, loop=loop), pipe)
    return ServiceProcess(process, stdout)


def _run_service(
    module: str, args: tuple[str, ...], env: dict[str, str], output: Connection
) -> None:
    """In the forked child: become ``python -m module *args`` and run until it ends."""
    # What the fork server imported lives as long as the service: set aside from the garbage
    # collector before its first full collection, which would walk all five services' modules
    # and write to every page of them (copied then, no longer shared with the fork server).
    gc.freeze()
    os.setsid()
    for fd in (1, 2):
        os.dup2(output.fileno(), fd)
    output.close()
    for stream in (sys.stdout, sys.stderr):
        if stream is not None:  # a service's lines reach the launcher as they are written
            stream.reconfigure(line_buffering=True, write_through=True)  # type: ignore[union-attr]
    _die_with_launcher()
    setproctitle(" ".join([sys.executable, "-m", module, *args]))
    os.environ.clear()
    os.environ.update(env)
    sys.argv = [module, *args]
    # As with `python -m`, the code run as __main__ is not also a module of its own name: the
    # fork server imported it (for what it imports), so that copy goes, the imports stay.
    for name in (module, f"{module}.__main__"):
        if not hasattr(sys.modules.get(name), "__path__"):
            sys.modules.pop(name, None)
    try:
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    finally:
        # multiprocessing ends its children with os._exit, skipping the exit handlers that
        # `python -m` would run: the log writer's among them, which hands out the last lines
        # (a worker's `job.completed` as it stops).
        atexit._run_exitfuncs()


def _die_with_launcher() -> None:
    parent = multiprocessing.parent_process()
    assert parent is not None
    # The launcher holds the other end of this pipe until it ends; if it has ended already,
    # the wait returns at once.
    sentinel = parent.sentinel

    def watch() -> None:
        multiprocessing.connection.wait([sentinel])
        os.kill(os.getpid(), signal.SIGKILL)

    threading.Thread(target=watch, name="die-with-launcher", daemon=True).start()
