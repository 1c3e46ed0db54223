"""Children that end when the process that started them dies, even by SIGKILL.

A SIGKILLed launcher runs no cleanup code, so its children must notice on their own. Linux
offers this as a parent-death signal (``prctl(PR_SET_PDEATHSIG)``), set in the child between
fork and exec; it survives exec, so it works for binaries we cannot change (nats-server).

Caveat that shapes the callers: the kernel sends the signal when the *thread* that forked the
child exits, not the process. Spawn only from a thread that lives as long as the child should:
the main thread, or the thread running the asyncio loop in ``asyncio.run``.
"""

import ctypes
import os
import signal
import sys
from collections.abc import Callable

_PR_SET_PDEATHSIG = 1

__all__ = ["terminate_with_parent"]


def terminate_with_parent(sig: int = signal.SIGTERM) -> Callable[[], None] | None:
    """A ``preexec_fn`` that makes the child receive ``sig`` when its parent thread dies.

    ``None`` where Linux's prctl is unavailable: callers pass it on as ``preexec_fn`` as is.
    SIGTERM by default, so a server can still close its files properly.
    """
    if not sys.platform.startswith("linux"):
        return None
    try:
        # Looked up here, in the parent: loading a library between fork and exec can deadlock
        # on a lock another thread held at fork time.
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    parent = os.getpid()

    def preexec() -> None:
        prctl(_PR_SET_PDEATHSIG, sig, 0, 0, 0)
        if os.getppid() != parent:
            # The parent died between fork and prctl: the signal will never come.
            os._exit(1)

    return preexec
