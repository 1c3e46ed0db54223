"""A stand-in service for the fork server's tests.

``python -m tests.support.forked_echo exit N`` prints one JSON line (its arguments, environment,
pid, session and the test modules imported before it ran) and exits with N; ``… wait`` prints
the line and waits for a signal; ``… atexit`` leaves a last line to an exit handler (as the
services' log writer does) and ends.
"""

import atexit
import json
import os
import signal
import sys


def main() -> None:
    print(
        json.dumps(
            {
                "argv": sys.argv[1:],
                "env": dict(os.environ),
                "pid": os.getpid(),
                "sid": os.getsid(0),
                "modules": sorted(name for name in sys.modules if name.startswith("tests.")),
            }
        )
    )
    if sys.argv[1] == "atexit":
        atexit.register(print, "said at exit", flush=True)
        return
    if sys.argv[1] == "exit":
        sys.exit(int(sys.argv[2]))
    while True:
        signal.pause()


if __name__ == "__main__":
    main()
