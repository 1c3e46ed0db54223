"""Who may read the gateway's `/metrics`: the gateway is the public entry point, and its metrics
(routes, statuses, latencies, counts of connections) are for operators, not for the internet.

Only clients from `STUDIO_METRICS_NETWORKS` get them (by default loopback and the private
networks, where Prometheus runs: `make run`, compose and Kubernetes pod networks); anyone else
gets the 404 of an unknown path. Behind a reverse proxy every client comes from the proxy's
address: set `STUDIO_TRUSTED_PROXIES` so the client address is the real one, or block
`/metrics` at the proxy (docs/gateway.md)."""

import ipaddress

from starlette.types import ASGIApp, Receive, Scope, Send
from studio_runtime.errors import problem_response

METRICS_PATH = "/metrics"
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(value: str) -> tuple[Network, ...]:
    """`10.0.0.0/8, ::1` → networks; a bare address is a network of one."""
    return tuple(
        ipaddress.ip_network(entry.strip(), strict=False)
        for entry in value.split(",")
        if entry.strip()
    )


class MetricsAccessMiddleware:
    def __init__(self, app: ASGIApp, *, networks: tuple[Network, ...]) -> None:
        self.app = app
        self._networks = networks

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == METRICS_PATH and not self._allowed(scope):
            await problem_response(404, "Not Found")(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _allowed(self, scope: Scope) -> bool:
        client = scope.get("client")
        if not client:
            return False
        try:
            address = ipaddress.ip_address(client[0])
        except ValueError:
            return False
        return any(address in network for network in self._networks)
