from pydantic import Field
from studio_runtime.settings import ServiceSettings


class GatewaySettings(ServiceSettings):
    port: int = Field(default=8080, ge=0, le=65535)
    projects_url: str = "http://127.0.0.1:8001"
    catalog_url: str = "http://127.0.0.1:8002"
    generation_url: str = "http://127.0.0.1:8003"
    assets_url: str = "http://127.0.0.1:8004"
    local_user_id: str = Field(default="local", min_length=1, max_length=64)
    """Until accounts exist, the one user every request acts for."""
    upstream_timeout_s: float = Field(default=30, gt=0)
    upstream_pool_shards: int = Field(default=16, ge=1, le=256)
    upstream_connections_per_shard: int = Field(default=16, ge=1)

    def upstreams(self) -> dict[str, str]:
        """Service name -> base URL (no trailing slash)."""
        return {
            "projects": self.projects_url.rstrip("/"),
            "catalog": self.catalog_url.rstrip("/"),
            "generation": self.generation_url.rstrip("/"),
            "assets": self.assets_url.rstrip("/"),
        }
