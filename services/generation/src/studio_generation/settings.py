from pydantic import Field
from studio_runtime.resources import DataServiceAppSettings


class GenerationSettings(DataServiceAppSettings):
    """Settings of the generation API process."""

    port: int = Field(default=8003, ge=0, le=65535)
    mongo_db: str = Field(default="studio_generation", pattern=r"^[A-Za-z0-9_-]{1,63}$")


class WorkerSettings(GenerationSettings):
    """Settings of a worker process; its HTTP port serves only health and metrics."""

    port: int = Field(default=8005, ge=0, le=65535)
    worker_concurrency: int = Field(default=32, ge=1, le=4096)
