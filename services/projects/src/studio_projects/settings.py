from pydantic import Field
from studio_runtime.resources import DataServiceSettings
from studio_runtime.settings import ServiceSettings


class ProjectsSettings(ServiceSettings, DataServiceSettings):
    port: int = Field(default=8001, ge=0, le=65535)
    mongo_db: str = Field(default="studio_projects", pattern=r"^[A-Za-z0-9_-]{1,63}$")
