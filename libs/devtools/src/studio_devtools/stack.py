"""`make run`: the whole studio on one machine, in the foreground.

Starts what is missing (NATS with JetStream, a MongoDB-compatible server) with its data under
`STUDIO_DATA_DIR`, then every service, waits until each answers `/readyz`, prints the studio's
address, and on Ctrl-C (or SIGTERM) stops everything it started, services first.
Services whose URLs are given (`STUDIO_NATS_URL`, `STUDIO_MONGO_URL`) are used as they are.

A service that crashes is restarted with backoff (`studio_devtools.supervisor`), and so is an
embedded server (`studio_devtools.server_keeper`); every process
started ends by itself if the launcher is killed outright (`studio_devtools.parent_death`);
`<data dir>/run.pid` names them all, so a second launch can tell what is still running
(`studio_devtools.pidfile`).
"""

import asyncio
import hashlib
import os
import secrets
import signal
import socket
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from types import FrameType

from studio_devtools.pidfile import PidFile, PidFileBusy
from studio_devtools.prefork import keep_socket_in, preload
from studio_devtools.server_keeper import KeptServer, keep_running
from studio_devtools.servers import ServerProcess, ServerStartError, start_mongo, start_nats
from studio_devtools.supervisor import RestartPolicy, ServiceSpec, StackError, Supervisor, say

__all__ = ["ServiceSpec", "StackError", "main"]


def main() -> None:
    data_dir = Path(os.environ.get("STUDIO_DATA_DIR", ".data")).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    pid_file = PidFile(data_dir / "run.pid")
    # Until the event loop takes the signals over, SIGTERM stops the launch as Ctrl-C does.
    signal.signal(signal.SIGTERM, _interrupt)
    servers: list[ServerProcess] = []
    claimed = False
    failure: Exception | None = None
    try:
        if pid_file.claim():
            say(f"removed a stale pid file ({pid_file.path}) left by an earlier run")
        claimed = True
        code = _run(data_dir, pid_file, servers)
    except (StackError, PidFileBusy) as exc:
        failure, code = exc, 1
    except KeyboardInterrupt:
        code = 130
    finally:
        if claimed:
            _shut_down(servers, pid_file)
    if failure is not None:  # last, so it is what the terminal shows
        print(f"\nmake run: {failure}", file=sys.stderr, flush=True)
    sys.exit(code)


def _run(data_dir: Path, pid_file: PidFile, servers: list[ServerProcess]) -> int:
    started_at = time.perf_counter()
    env = _base_env(data_dir)
    ports = _ports()
    specs = _service_specs(ports)
    _check_ports_free(specs, env.get("STUDIO_HOST", "127.0.0.1"))
    # The services' imports, once for all of them, while the servers start.
    keep_socket_in(data_dir)
    preload(f"{spec.module}.__main__" for spec in specs)
    # Started here, in the main thread, not in a worker thread: the servers' parent-death
    # signal fires when the thread that spawned them ends (see studio_devtools.parent_death),
    # and the main thread ends only with the launcher.
    urls, restarts = _embedded_servers(data_dir, servers, pid_file, ports)
    env.update(urls)
    kept = [
        KeptServer(name, servers, index, restart, pid_file.record, RestartPolicy())
        for (name, index), restart in restarts.items()
    ]
    return asyncio.run(_serve(specs, env, pid_file, started_at, kept))


async def _serve(
    specs: list[ServiceSpec],
    env: dict[str, str],
    pid_file: PidFile,
    started_at: float,
    kept: list[KeptServer],
) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    supervisor = Supervisor(specs, env, on_spawn=pid_file.record)
    try:
        await supervisor.start()
        await supervisor.wait_ready(stop)
        if stop.is_set():
            return 130
        gateway = next(s for s in specs if s.name == "gateway")
        host = env.get("STUDIO_HOST", "127.0.0.1")
        elapsed = time.perf_counter() - started_at
        say(
            f"AI Studio is ready in {elapsed:.1f}s: http://{host}:{gateway.port}  (Ctrl-C stops it)"
        )
        return await supervisor.supervise(stop, also=[keep_running(server) for server in kept])
    finally:
        await supervisor.stop()


def _shut_down(servers: list[ServerProcess], pid_file: PidFile) -> None:
    """Stop the servers (the services are stopped by now) and give the pid file up."""
    # Each stop is bounded (SIGKILL after a timeout); a second Ctrl-C must not cut it short
    # and leave a server running.
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_IGN)
    for server in reversed(servers):
        server.stop()
    left = pid_file.release()
    if left:
        listing = "\n".join(entry.describe() for entry in left)
        say(f"these did not stop, so {pid_file.path} stays:\n{listing}")
    say("stopped")


def _interrupt(_signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _base_env(data_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("STUDIO_INTERNAL_SECRET", _internal_secret(data_dir))
    env.setdefault("STUDIO_STORAGE_URL", (data_dir / "storage").as_uri())
    env.setdefault("STUDIO_WORKER_NAME", worker_name(data_dir))
    env["PYTHONUNBUFFERED"] = "1"
    return env


def worker_name(data_dir: Path) -> str:
    """The name this installation's one worker keeps across its restarts (see the worker's
    `worker_name`): one launcher per data directory runs one worker, so host and directory make
    it unique even where two installations share a database."""
    where = hashlib.sha256(str(data_dir.resolve()).encode()).hexdigest()[:12]
    return f"make-run-{socket.gethostname()}-{where}"


def _internal_secret(data_dir: Path) -> str:
    """A per-installation signing secret, made once and kept private in the data directory."""
    path = data_dir / "internal-secret"
    if not path.exists():
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(48))
    return path.read_text().strip()


def _port(variable: str, default: int) -> int:
    value = os.environ.get(variable, "").strip()
    if not value:
        return default
    if not value.isdigit() or not 0 < int(value) < 65536:
        raise StackError(f"{variable} must be a port number (1-65535), not {value!r}")
    return int(value)


def _ports() -> dict[str, int]:
    """Every port this launch will listen on, by the variable that sets it."""
    ports = {
        "STUDIO_PROJECTS_PORT": _port("STUDIO_PROJECTS_PORT", 8001),
        "STUDIO_CATALOG_PORT": _port("STUDIO_CATALOG_PORT", 8002),
        "STUDIO_GENERATION_PORT": _port("STUDIO_GENERATION_PORT", 8003),
        "STUDIO_ASSETS_PORT": _port("STUDIO_ASSETS_PORT", 8004),
        "STUDIO_WORKER_PORT": _port("STUDIO_WORKER_PORT", 8005),
        "STUDIO_GATEWAY_PORT": _port("STUDIO_GATEWAY_PORT", 8080),
    }
    if not os.environ.get("STUDIO_NATS_URL"):
        ports["STUDIO_EMBEDDED_NATS_PORT"] = _port("STUDIO_EMBEDDED_NATS_PORT", 14222)
    if not os.environ.get("STUDIO_MONGO_URL"):
        ports["STUDIO_EMBEDDED_MONGO_PORT"] = _port("STUDIO_EMBEDDED_MONGO_PORT", 27117)
    _refuse_shared(ports)
    return ports


def _refuse_shared(ports: dict[str, int]) -> None:
    """Two variables giving one port are refused before anything starts. Otherwise the second
    process to bind it fails and its restarts loop, while the readiness check and the printed
    address reach whichever process holds the port."""
    by_port: dict[int, list[str]] = {}
    for variable, port in ports.items():
        by_port.setdefault(port, []).append(variable)
    for port, sharing in by_port.items():
        if len(sharing) > 1:
            named = [v if os.environ.get(v, "").strip() else f"{v} (its default)" for v in sharing]
            listed = f"{', '.join(named[:-1])} and {named[-1]}"
            both = "both" if len(named) == 2 else "all"
            raise StackError(f"{listed} are {both} {port}; give each its own port.")


def _service_specs(ports: dict[str, int]) -> list[ServiceSpec]:
    names = ("projects", "catalog", "generation", "assets", "worker", "gateway")
    port = {name: ports[f"STUDIO_{name.upper()}_PORT"] for name in names}
    internal = {"STUDIO_HOST": "127.0.0.1"}
    upstreams = {
        f"STUDIO_{name.upper()}_URL": f"http://127.0.0.1:{port[name]}"
        for name in ("projects", "catalog", "generation", "assets")
    }
    return [
        ServiceSpec(
            "projects",
            "studio_projects",
            port["projects"],
            env={**internal, "STUDIO_ASSETS_URL": upstreams["STUDIO_ASSETS_URL"]},
        ),
        ServiceSpec("catalog", "studio_catalog", port["catalog"], env=internal),
        ServiceSpec(
            "generation",
            "studio_generation",
            port["generation"],
            ("api",),
            {**internal, **upstreams},
        ),
        ServiceSpec(
            "worker", "studio_generation", port["worker"], ("worker",), {**internal, **upstreams}
        ),
        ServiceSpec(
            "assets",
            "studio_assets",
            port["assets"],
            env={**internal, "STUDIO_PROJECTS_URL": upstreams["STUDIO_PROJECTS_URL"]},
        ),
        ServiceSpec("gateway", "studio_gateway", port["gateway"], env=upstreams),
    ]


def _check_ports_free(specs: list[ServiceSpec], public_host: str) -> None:
    for spec in specs:
        host = spec.env.get("STUDIO_HOST", public_host)
        with socket.socket() as sock:
            # As the servers themselves do, so a port left in TIME_WAIT by the last run is free.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((host, spec.port))
            except OSError:
                raise StackError(
                    f"port {spec.port} on {host}, needed by {spec.name}, is in use. Is another "
                    f"AI Studio running? Stop it, or choose another port with "
                    f"STUDIO_{spec.name.upper()}_PORT."
                ) from None


def _embedded_servers(
    data_dir: Path, servers: list[ServerProcess], pid_file: PidFile, ports: dict[str, int]
) -> tuple[dict[str, str], dict[tuple[str, int], Callable[[], ServerProcess]]]:
    """Start the servers whose URLs are not given; their URLs for the services, and how to
    start each again (by its pid-file name and its place in `servers`)."""
    urls: dict[str, str] = {}
    restarts: dict[tuple[str, int], Callable[[], ServerProcess]] = {}
    try:
        if not os.environ.get("STUDIO_NATS_URL"):
            port = ports["STUDIO_EMBEDDED_NATS_PORT"]
            nats = start_nats(data_dir / "nats", port)
            restarts["nats", len(servers)] = partial(start_nats, data_dir / "nats", port)
            servers.append(nats)
            pid_file.record("nats", nats.process.pid)
            urls["STUDIO_NATS_URL"] = nats.url
            say(f"NATS (JetStream) at {nats.url}, data in {data_dir / 'nats'}")
        if not os.environ.get("STUDIO_MONGO_URL"):
            port = ports["STUDIO_EMBEDDED_MONGO_PORT"]
            mongo = start_mongo(data_dir / "mongo", port)
            restarts["mongo", len(servers)] = partial(start_mongo, data_dir / "mongo", port)
            servers.append(mongo)
            pid_file.record("mongo", mongo.process.pid)
            urls["STUDIO_MONGO_URL"] = mongo.url
            say(
                f"MongoDB-compatible server ({mongo.name}) at {mongo.url}, data in {data_dir / 'mongo'}"
            )
    except ServerStartError as exc:
        raise StackError(
            f"{exc}\n(choose other ports with STUDIO_EMBEDDED_NATS_PORT / STUDIO_EMBEDDED_MONGO_PORT)"
        ) from exc
    return urls, restarts


if __name__ == "__main__":
    main()
