"""The development servers leave nothing behind outside their data directory."""

import os
import signal
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
