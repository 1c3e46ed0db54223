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
