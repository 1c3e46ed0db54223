"""The development servers leave nothing behind outside their data directory."""

import os
import signal
import socket
from pathlib import Path

import pytest
from studio_devtools import servers


@pytest.mark.parametrize("how", ["stopped", "killed"])
def test_seaweedfs_grpc_sockets_in_tmp_are_removed_when_it_ends(tmp_path: Path, how: str) -> None:
    server = servers.start_seaweedfs(tmp_path / "seaweedfs", "studio-key", "studio-secret-key")
    sockets = [
        Path(f"/tmp/seaweedfs-{name.removesuffix('.grpc')}-grpc-{port}.sock")
        for name, port in server.ports.items()
        if name.endswith(".grpc")
    ]
    try:
        assert any(path.exists() for path in sockets), "weed made none of the sockets expected"
        if how == "killed":
            os.killpg(server.process.pid, signal.SIGKILL)
            server.process.wait(timeout=30)
    finally:
        server.stop()
    assert [path for path in sockets if path.exists()] == []


def test_a_port_taken_between_picking_and_binding_is_picked_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A free port is free only when asked for: on a busy machine another process can take it
    before the server binds it. The start is tried again with new ports instead of failing
    (a seaweedfs start in a parallel test run failed so: "bind: address already in use")."""
    taken = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    taken.bind((servers.LOOPBACK, 0))
    taken.listen()
    busy = taken.getsockname()[1]
    picks: list[list[int]] = []
    real_free_ports = servers.free_ports

    def first_pick_taken(count: int, host: str = servers.LOOPBACK) -> list[int]:
        ports = real_free_ports(count, host)
        if not picks:
            ports[0] = busy
        picks.append(ports)
        return ports

    monkeypatch.setattr(servers, "free_ports", first_pick_taken)
    try:
        server = servers.start_nats(tmp_path / "nats")
        try:
            assert len(picks) == 2
            assert server.ports["client"] != busy
            assert "address already in use" in server.log_path.read_text()
        finally:
            server.stop()
    finally:
        taken.close()


def test_seaweedfs_grpc_sockets_are_removed_when_its_start_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A start that fails once weed is up (its readiness check broke) stops it and removes its
    sockets too: before, only a started server knew of them."""
    picked: list[int] = []
    real_free_ports, real_pair = servers.free_ports, servers._free_port_pair
    real_list_buckets = servers._s3_signed_list_buckets
    up: list[int] = []

    def free_ports(count: int, host: str = servers.LOOPBACK) -> list[int]:
        picked.extend(real_free_ports(count, host))
        return picked[-count:]

    def free_port_pair(offset: int) -> tuple[int, int]:
        pair = real_pair(offset)
        picked.extend(pair)
        return pair

    def broken_once_up(url: str, access_key: str, secret_key: str) -> int | None:
        status = real_list_buckets(url, access_key, secret_key)
        if status == 200:
            up.append(status)
            raise RuntimeError("the readiness check broke")
        return status

    monkeypatch.setattr(servers, "free_ports", free_ports)
    monkeypatch.setattr(servers, "_free_port_pair", free_port_pair)
    monkeypatch.setattr(servers, "_s3_signed_list_buckets", broken_once_up)
    with pytest.raises(RuntimeError, match="readiness check broke"):
        servers.start_seaweedfs(tmp_path / "seaweedfs", "studio-key", "studio-secret-key")
    assert up, "weed came up (its sockets made) before the start failed"
    left = [path for port in picked for path in Path("/tmp").glob(f"seaweedfs-*-grpc-{port}.sock")]
    assert left == []
