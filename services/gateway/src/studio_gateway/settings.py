import ipaddress
from typing import Literal

from pydantic import Field, field_validator, model_validator
from studio_runtime.resources import DataServiceAppSettings


class GatewaySettings(DataServiceAppSettings):
    port: int = Field(default=8080, ge=0, le=65535)
    mongo_db: str = Field(default="studio_gateway", pattern=r"^[A-Za-z0-9_-]{1,63}$")
    projects_url: str = "http://127.0.0.1:8001"
    catalog_url: str = "http://127.0.0.1:8002"
    generation_url: str = "http://127.0.0.1:8003"
    assets_url: str = "http://127.0.0.1:8004"
    upstream_timeout_s: float = Field(default=30, gt=0)
    upstream_pool_shards: int = Field(default=16, ge=1, le=256)
    upstream_connections_per_shard: int = Field(default=16, ge=1)
    body_read_timeout_s: float = Field(default=30, gt=0)
    """Longest wait for the next piece of a request body before answering 408: a client that
    announces more bytes than it sends must not hold a request open forever. Per piece, not
    for the whole body, so a slow but steady upload is not cut off."""

    auth_mode: Literal["local", "accounts"] = "local"
    """`local`: one user, no sign-in (one person on their own machine); `accounts`: sign-up,
    sessions and API tokens."""
    local_user_id: str = Field(default="local", min_length=1, max_length=64)
    """In `local` mode, the one user every request acts for."""
    local_mode_public: bool = False
    """`local` mode has no sign-in, so the gateway refuses to listen beyond loopback in it
    unless this says the operator means it."""
    session_ttl_s: float = Field(default=14 * 24 * 3600, gt=0)
    cookie_secure: bool = True
    """Send the session cookie only over HTTPS (browsers also allow it on http://localhost)."""
    hsts_max_age_s: int = Field(default=365 * 24 * 3600, ge=0)
    """In accounts mode with `cookie_secure`, the studio is served over HTTPS: answers carry
    `Strict-Transport-Security: max-age=...` so browsers never try plain http (where a
    network attacker could strip the TLS before the session cookie is sent). 0 sends none."""
    auth_cache_s: float = Field(default=5, ge=0)
    """How long a gateway trusts a checked session or token before looking again; revocations
    reach every gateway at once over NATS, this only bounds a missed one."""
    requests_per_minute: int = Field(default=600, ge=0)
    """Per user and per gateway instance; 0 = no limit."""
    upload_bytes_per_hour: int = Field(default=20 * 1024**3, ge=0)
    """Bytes one user may upload per hour, per gateway instance (429 beyond, 413 for one upload
    larger than all of it); 0 = no limit."""
    upload_max_bytes: int = Field(default=50 * 1024 * 1024, ge=1)
    """The largest file one upload may carry: the assets service's own limit (the same
    `STUDIO_UPLOAD_MAX_BYTES`), known here so an oversize upload is refused from its headers,
    or as soon as it crosses the limit, instead of once it has all been forwarded."""
    login_attempts_per_minute_per_ip: int = Field(default=20, ge=0)
    login_attempts_per_minute_per_account: int = Field(default=5, ge=0)
    signups_per_minute_per_ip: int = Field(default=5, ge=0)
    sse_heartbeat_s: float = Field(default=15, gt=0)
    sse_replay_max: int = Field(default=10_000, ge=0)
    """At most this many events per stream are replayed to a client resuming with
    `Last-Event-ID`; further behind, it gets a `reset` event and should reload."""
    sse_queue_max: int = Field(default=1_000, ge=1)
    """Events waiting for one slow client before it is disconnected (it resumes on reconnect)."""
    metrics_networks: str = "127.0.0.0/8,::1/128,10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,fc00::/7"
    """Client networks (comma-separated) that may read `/metrics`; others get 404. Loopback
    and private networks by default (where Prometheus runs); empty: nobody."""
    sse_connections_per_user: int = Field(default=20, ge=0)
    """Event streams one user may have open at once on one gateway instance (429 beyond);
    0 = no limit. Each browser tab holds one; 20 leaves room for many tabs and scripts while
    one account cannot tie up thousands of connections and their queues."""

    @field_validator("metrics_networks")
    @classmethod
    def _networks_parse(cls, value: str) -> str:
        for entry in value.split(","):
            if entry.strip():
                ipaddress.ip_network(entry.strip(), strict=False)  # ValueError names it
        return value

    @model_validator(mode="after")
    def _local_mode_stays_local(self) -> "GatewaySettings":
        if self.auth_mode == "local" and not self.local_mode_public and not _is_loopback(self.host):
            raise ValueError(
                f"STUDIO_AUTH_MODE=local has no sign-in, so the gateway will not listen on "
                f"{self.host!r}: use STUDIO_AUTH_MODE=accounts, or set "
                "STUDIO_LOCAL_MODE_PUBLIC=true if everyone who can reach it may use it"
            )
        return self

    @property
    def strict_transport(self) -> str | None:
        """The `Strict-Transport-Security` value, or None when the studio is not HTTPS-only."""
        if self.auth_mode != "accounts" or not self.cookie_secure or not self.hsts_max_age_s:
            return None
        return f"max-age={self.hsts_max_age_s}"

    def upstreams(self) -> dict[str, str]:
        """Service name -> base URL (no trailing slash)."""
        return {
            "projects": self.projects_url.rstrip("/"),
            "catalog": self.catalog_url.rstrip("/"),
            "generation": self.generation_url.rstrip("/"),
            "assets": self.assets_url.rstrip("/"),
        }


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
