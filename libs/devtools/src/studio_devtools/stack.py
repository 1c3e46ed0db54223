"""`make run`: the whole studio on one machine, in the foreground.

Starts what is missing (NATS with JetStream, a MongoDB-compatible server) with its data under
`STUDIO_DATA_DIR`, then every service, waits until each answers `/readyz`, prints the studio's
address, and on Ctrl-C (or SIGTERM) stops everything it started, services first.
Services whose URLs are given (`STUDIO_NATS_URL`, `STUDIO_MONGO_URL`) are used as they are.
"""

import asyncio
import contextlib
import os
import secrets
import signal
import socket
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from studio_devtools.servers import ServerProcess, ServerStartError, start_mongo, start_nats

READY_TIMEOUT_S = 60.0
_COLOURS = ("36", "33", "35", "32", "34", "31", "96")


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    module: str
    port: int
    args: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)


class StackError(RuntimeError):
    """Something stops the stack from starting; the message says what to do."""


@dataclass
class RunningService:
    spec: ServiceSpec
    process: asyncio.subprocess.Process
    pump: asyncio.Task[None]


def main() -> None:
    data_dir = Path(os.environ.get("STUDIO_DATA_DIR", ".data")).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    pid_file = data_dir / "run.pid"
    try:
        _claim_pid_file(pid_file)
        code = asyncio.run(_run(data_dir))
    except StackError as exc:
        print(f"\nmake run: {exc}", file=sys.stderr)
        code = 1
    except KeyboardInterrupt:
        code = 130
    finally:
        if pid_file.exists() and pid_file.read_text().strip() == str(os.getpid()):
            pid_file.unlink()
    sys.exit(code)


async def _run(data_dir: Path) -> int:
    started_at = time.perf_counter()
    servers: list[ServerProcess] = []
    services: list[RunningService] = []
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        env = _base_env(data_dir)
        specs = _service_specs()
        _check_ports_free(specs, env.get("STUDIO_HOST", "127.0.0.1"))
        env.update(await _embedded_servers(data_dir, servers))
        for index, spec in enumerate(specs):
            services.append(await _spawn(spec, env, _COLOURS[index % len(_COLOURS)]))
        await _wait_ready(services, stop)
        if stop.is_set():
            return 130
        gateway = next(s for s in specs if s.name == "gateway")
        host = env.get("STUDIO_HOST", "127.0.0.1")
        elapsed = time.perf_counter() - started_at
        _say(
            f"AI Studio is ready in {elapsed:.1f}s: http://{host}:{gateway.port}  (Ctrl-C stops it)"
        )
        return await _supervise(services, stop)
    finally:
        await _stop_services(services)
        for server in reversed(servers):
            await asyncio.to_thread(server.stop)
        _say("stopped")


def _claim_pid_file(pid_file: Path) -> None:
    if pid_file.exists():
        try:
            pid = int(pid_file.read_text().strip())
        except ValueError:
            pid = 0
        if pid and _alive(pid):
            raise StackError(
                f"AI Studio is already running from this directory (pid {pid}). "
                f"Stop it with Ctrl-C in its terminal or `kill {pid}`."
            )
        _say(f"removed a stale pid file ({pid_file}) left by an earlier run")
    pid_file.write_text(str(os.getpid()))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _base_env(data_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("STUDIO_INTERNAL_SECRET", _internal_secret(data_dir))
    env.setdefault("STUDIO_STORAGE_URL", (data_dir / "storage").as_uri())
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _internal_secret(data_dir: Path) -> str:
    """A per-installation signing secret, made once and kept private in the data directory."""
    path = data_dir / "internal-secret"
    if not path.exists():
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(48))
    return path.read_text().strip()


def _service_specs() -> list[ServiceSpec]:
    ports = {
        "projects": int(os.environ.get("STUDIO_PROJECTS_PORT", 8001)),
        "catalog": int(os.environ.get("STUDIO_CATALOG_PORT", 8002)),
        "generation": int(os.environ.get("STUDIO_GENERATION_PORT", 8003)),
        "assets": int(os.environ.get("STUDIO_ASSETS_PORT", 8004)),
        "worker": int(os.environ.get("STUDIO_WORKER_PORT", 8005)),
        "gateway": int(os.environ.get("STUDIO_GATEWAY_PORT", 8080)),
    }
    internal = {"STUDIO_HOST": "127.0.0.1"}
    upstreams = {
        f"STUDIO_{name.upper()}_URL": f"http://127.0.0.1:{ports[name]}"
        for name in ("projects", "catalog", "generation", "assets")
    }
    return [
        ServiceSpec("projects", "studio_projects", ports["projects"], env=internal),
        ServiceSpec("catalog", "studio_catalog", ports["catalog"], env=internal),
        ServiceSpec(
            "generation",
            "studio_generation",
            ports["generation"],
            ("api",),
            {**internal, **upstreams},
        ),
        ServiceSpec(
            "worker", "studio_generation", ports["worker"], ("worker",), {**internal, **upstreams}
        ),
        ServiceSpec(
            "assets",
            "studio_assets",
            ports["assets"],
            env={**internal, "STUDIO_PROJECTS_URL": upstreams["STUDIO_PROJECTS_URL"]},
        ),
        ServiceSpec("gateway", "studio_gateway", ports["gateway"], env=upstreams),
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


async def _embedded_servers(data_dir: Path, servers: list[ServerProcess]) -> dict[str, str]:
    urls: dict[str, str] = {}
    try:
        if not os.environ.get("STUDIO_NATS_URL"):
            port = int(os.environ.get("STUDIO_EMBEDDED_NATS_PORT", 14222))
            nats = await asyncio.to_thread(start_nats, data_dir / "nats", port)
            servers.append(nats)
            urls["STUDIO_NATS_URL"] = nats.url
            _say(f"NATS (JetStream) at {nats.url}, data in {data_dir / 'nats'}")
        if not os.environ.get("STUDIO_MONGO_URL"):
            port = int(os.environ.get("STUDIO_EMBEDDED_MONGO_PORT", 27117))
            mongo = await asyncio.to_thread(start_mongo, data_dir / "mongo", port)
            servers.append(mongo)
            urls["STUDIO_MONGO_URL"] = mongo.url
            _say(
                f"MongoDB-compatible server ({mongo.name}) at {mongo.url}, data in {data_dir / 'mongo'}"
            )
    except ServerStartError as exc:
        raise StackError(
            f"{exc}\n(choose other ports with STUDIO_EMBEDDED_NATS_PORT / STUDIO_EMBEDDED_MONGO_PORT)"
        ) from exc
    return urls


async def _spawn(spec: ServiceSpec, base_env: dict[str, str], colour: str) -> RunningService:
    env = {**base_env, **spec.env, "STUDIO_PORT": str(spec.port)}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        spec.module,
        *spec.args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        start_new_session=True,
    )
    prefix = (
        f"\x1b[{colour}m{spec.name:>10} |\x1b[0m " if sys.stdout.isatty() else f"{spec.name:>10} | "
    )
    return RunningService(spec, process, asyncio.create_task(_pump(process, prefix)))


async def _pump(process: asyncio.subprocess.Process, prefix: str) -> None:
    assert process.stdout is not None
    async for line in process.stdout:
        sys.stdout.write(prefix + line.decode(errors="replace"))
        sys.stdout.flush()


async def _wait_ready(services: list[RunningService], stop: asyncio.Event) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    pending = {s.spec.name: s for s in services}
    async with httpx.AsyncClient(timeout=2) as client:
        while pending and not stop.is_set():
            for name, service in list(pending.items()):
                if service.process.returncode is not None:
                    raise StackError(
                        f"{name} exited with code {service.process.returncode} while starting (see its lines above)"
                    )
                with contextlib.suppress(httpx.HTTPError):
                    response = await client.get(f"http://127.0.0.1:{service.spec.port}/readyz")
                    if response.status_code == 200:
                        del pending[name]
            if time.monotonic() > deadline:
                raise StackError(f"not ready after {READY_TIMEOUT_S:.0f}s: {', '.join(pending)}")
            await asyncio.sleep(0.05)


async def _supervise(services: list[RunningService], stop: asyncio.Event) -> int:
    waits = {asyncio.create_task(s.process.wait()): s for s in services}
    stopper = asyncio.create_task(stop.wait())
    done, _ = await asyncio.wait([stopper, *waits], return_when=asyncio.FIRST_COMPLETED)
    for task in waits:
        if task in done:
            service = waits[task]
            _say(
                f"{service.spec.name} exited unexpectedly (code {service.process.returncode}); stopping everything"
            )
            return 1
    return 0


async def _stop_services(services: list[RunningService]) -> None:
    for service in reversed(services):
        if service.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                service.process.send_signal(signal.SIGTERM)
    for service in services:
        try:
            await asyncio.wait_for(service.process.wait(), 15)
        except TimeoutError:
            _say(f"{service.spec.name} did not stop in 15s; killing it")
            with contextlib.suppress(ProcessLookupError):
                service.process.kill()
            await service.process.wait()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(service.pump, 2)


def _say(message: str) -> None:
    print(f"{'studio':>10} | {message}", flush=True)


if __name__ == "__main__":
    main()
