"""`python -m studio_runtime.healthcheck`: exit 0 when this container's service is ready.

Container healthchecks (docker compose) run it inside the service's own container: it asks the
service's `/readyz` on the loopback port it listens on (`STUDIO_PORT`), so `depends_on` with
`condition: service_healthy` waits for a service that can really answer, not one whose process
has merely started. Standard library only: it runs in a fresh interpreter every few seconds.
"""

import os
import sys
import urllib.error
import urllib.request

TIMEOUT_S = 3.0


def main() -> int:
    port = os.environ.get("STUDIO_PORT", "8000")
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=TIMEOUT_S) as r:
            return 0 if r.status == 200 else 1
    except (urllib.error.URLError, OSError) as exc:
        print(f"not ready: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
