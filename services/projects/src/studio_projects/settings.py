from pydantic import Field
from studio_runtime.idempotency import DEFAULT_TTL_S
from studio_runtime.resources import DataServiceAppSettings


class ProjectsSettings(DataServiceAppSettings):
    port: int = Field(default=8001, ge=0, le=65535)
    mongo_db: str = Field(default="studio_projects", pattern=r"^[A-Za-z0-9_-]{1,63}$")
    deletion_grace_s: float = Field(default=60, gt=0)
    """How long a deletion may stay unfinished before the background sweep completes it. Longer
    than a publish timeout, so the sweep never races a request that is still deciding."""
    maintenance_interval_s: float = Field(default=30, gt=0)
    """How often the background sweep runs (unfinished deletions, old applied-event records)."""
    assets_url: str = "http://127.0.0.1:8004"
    """The assets service, asked for the newest image output left when a project's cover is
    deleted."""
    templates_per_user: int = Field(default=500, ge=1)
    """The most templates one user may keep (409 beyond): a bound on one person's storage and on
    the template picker, far above what anyone curates by hand."""
    idempotency_ttl_s: float = Field(default=DEFAULT_TTL_S, gt=0)
    """How long the `Idempotency-Key` of a new project or template is remembered (the same
    setting, and the same day, as the generation service's)."""
