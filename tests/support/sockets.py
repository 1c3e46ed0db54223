"""A listening socket for a test server, bound before the server starts.

A port merely found free (`studio_devtools.servers.free_port`) can be taken before the server
binds it, by one of the suite's other xdist workers picking ports at the same moment; a socket
bound here, to a port the kernel picks when none is asked for, and handed to uvicorn
(`Server.serve(sockets=[...])`) cannot be. For a child process that binds its own ports,
`ports_for_a_child` picks them where nothing else is handed ports.
"""

import os
import random
import socket
from pathlib import Path


def bound_socket(port: int | None = None, host: str = "127.0.0.1") -> socket.socket:
    """A TCP socket bound to `host`:`port` (any free port when None); the caller closes it."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if port:
        # To bind a given port again while its last connections linger (TIME_WAIT). Not for a
        # port the kernel picks: a socket with SO_REUSEADDR may share its port with another
        # bound but not yet listening one, and then one of the two listen() calls fails with
        # "Address already in use" (seen once, starting a test's worker on a busy machine;
        # without it the kernel hands out only a port nothing holds).
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port or 0))
    except OSError:
        sock.close()
        raise
    return sock


def _ephemeral_low() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def ports_for_a_child(count: int, host: str = "127.0.0.1") -> list[int]:
    """`count` free ports for servers a child process binds itself (`make run`'s launcher, a
    worker started with `python -m`), where a bound socket cannot be handed over.

    A port the kernel picked and let go (`free_ports`) comes from the ephemeral range, where
    any process's next outgoing connection or port-0 bind may take it before the child binds
    it: a launched service then failed with "address already in use" on a busy run. These come
    from below that range, where neither happens, each test worker (xdist) from a slice of its
    own, starting at a random place, and each checked free when chosen."""
    top = min(_ephemeral_low(), 32768)
    bottom = 20000
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    slices = 8
    index = int(worker) % slices if worker.isdigit() else 0
    width = (top - bottom) // slices
    start = bottom + index * width
    chosen: list[int] = []
    offset = random.randrange(width)
    for step in range(width):
        port = start + (offset + step) % width
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind((host, port))
            except OSError:
                continue
        chosen.append(port)
        if len(chosen) == count:
            return chosen
    raise RuntimeError(f"no {count} free ports between {start} and {start + width}")
