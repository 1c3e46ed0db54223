"""`python -m studio_runtime.healthcheck`: exit 0 when this container's service is ready.

Container healthchecks (docker compose) run it inside the service's own container: it asks the
service's `/readyz` on the loopback port it listens on (`STUDIO_PORT`), so `depends_on` with
`condition: service_healthy` waits for a service that can really answer, not one whose process
has merely started. Standard library only: it runs in a fresh interpreter every few seconds.

`STUDIO_PORT` must be set: one image runs every service, each on a port of its own (8001-8005,
the gateway 8080), and the check cannot tell which one it sits beside. Without it the check
fails at once, saying so, rather than asking a port no service uses and failing for ever
with "connection refused".
"""

import os
import sys
import urllib.error
import urllib.request

TIMEOUT_S = 3.0


def main() -> int:
    port = os.environ.get("STUDIO_PORT", "").strip()
    if not port.isdigit() or not 0 < int(port) < 65536:
        said = f"is {port!r}" if port else "is not set"
        print(
            f"not ready: STUDIO_PORT {said}; set it to the port this container's service "
            "listens on (the health check reads it to know where to ask)",
            file=sys.stderr,
        )
        return 1
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=TIMEOUT_S) as r:
            return 0 if r.status == 200 else 1
    except (urllib.error.URLError, OSError) as exc:
        print(f"not ready: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
