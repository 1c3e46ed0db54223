"""A listening socket for a test server, bound before the server starts.

A port merely found free (`studio_devtools.servers.free_port`) can be taken before the server
binds it, by one of the suite's other xdist workers picking ports at the same moment; a socket
bound here, to a port the kernel picks when none is asked for, and handed to uvicorn
(`Server.serve(sockets=[...])`) cannot be.
"""

import socket


def bound_socket(port: int | None = None, host: str = "127.0.0.1") -> socket.socket:
    """A TCP socket bound to `host`:`port` (any free port when None); the caller closes it."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port or 0))
    except OSError:
        sock.close()
        raise
    return sock
