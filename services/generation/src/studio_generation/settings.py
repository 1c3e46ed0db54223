import socket

from pydantic import AliasChoices, Field, SecretStr, field_validator
from studio_runtime.resources import DataServiceAppSettings
from studio_storage import StorageSettings

HOSTNAME = "{hostname}"
"""In `STUDIO_WORKER_NAME`: the host name of the machine or container the worker runs on."""


class GenerationSettings(DataServiceAppSettings):
    """Settings of the generation API process."""

    port: int = Field(default=8003, ge=0, le=65535)
    mongo_db: str = Field(default="studio_generation", pattern=r"^[A-Za-z0-9_-]{1,63}$")
    catalog_url: str = "http://127.0.0.1:8002"
    projects_url: str = "http://127.0.0.1:8001"
    assets_url: str = "http://127.0.0.1:8004"
    idempotency_ttl_s: float = Field(default=24 * 3600, gt=0)
    relay_interval_s: float = Field(default=5, gt=0)
    """How often the relay looks for generations still pending whose request it has not published."""
    relay_min_age_s: float = Field(default=5, ge=0, lt=120)
    """How old a record still pending must be before the relay publishes its request again
    (once). Under the stream's two-minute duplicate window, so that JetStream drops the repeat
    of a request that was queued."""
    max_active_per_user: int = Field(default=50, ge=0)
    """Generations one user may have queued or running at once (429 beyond); 0 = no limit."""
    requeue_after_s: float = Field(default=300, gt=0)
    """A processing generation whose worker lease ended this long ago is queued again."""


class WorkerSettings(GenerationSettings, StorageSettings):
    """Settings of a worker process; its HTTP port serves only health and metrics."""

    port: int = Field(default=8005, ge=0, le=65535)
    worker_concurrency: int = Field(default=32, ge=1, le=4096)
    worker_nice: int = Field(default=10, ge=0, le=19)
    """How much lower the worker process's CPU priority is (a Unix nice increment). A person
    waits on every request the services answer; a job waits in a queue built to absorb bursts.
    On a machine the worker shares with them (`make run`), a burst of jobs then never slows what
    people click; where a worker has a machine to itself, it changes nothing. 0: the same
    priority as the services."""
    job_deadline_s: float = Field(default=900, gt=0)
    model_deadlines_s: dict[str, float] = Field(
        default_factory=dict, examples=[{"fal-ai/veo3.1": 1800}]
    )
    """Per-model deadlines overriding `job_deadline_s`, e.g. `{"fal-ai/veo3.1": 1800}`."""
    max_attempts: int = Field(default=5, ge=1, le=50)
    """Attempts for transient failures (provider down, 5xx, 429) before a generation fails."""
    lease_s: float = Field(default=60, gt=1)
    """A processing job whose worker has not renewed its lease for this long is taken over."""
    heartbeat_s: float = Field(default=10, gt=0)
    """How often a running job renews its lease and tells NATS it is still being worked on."""
    ack_wait_s: float = Field(default=30, gt=0)
    """How long NATS waits for a worker's sign of life before handing the job to another."""
    worker_name: str = Field(default="", max_length=253)
    """A name this worker keeps across its restarts and shares with no other worker running
    at the same time (the pod's name; `make run` gives its worker one). A restarted worker then
    takes back at once the jobs it was running when it died, instead of leaving them to wait for
    their lease and NATS's next delivery (up to `lease_s`). Empty: no name, jobs wait.
    `{hostname}` in it is the machine's (the container's) host name: each container of a
    Docker Compose service has its own, kept when the container is restarted."""
    max_output_bytes: int = Field(default=2 * 1024**3, ge=1)
    fal_key: SecretStr = Field(
        default=SecretStr(""), validation_alias=AliasChoices("STUDIO_FAL_KEY", "FAL_KEY")
    )
    fal_base_url: str = "https://queue.fal.run"
    fal_storage_url: str = "https://rest.fal.ai"
    """fal's storage API: input files too large to inline are uploaded there first."""
    fal_request_retries: int = Field(default=4, ge=0, le=20)
    """Quick retries of one fal call (429, 5xx, connection errors) before the attempt counts as
    failed and the whole job is retried later with backoff."""
    fal_poll_interval_s: float = Field(default=0.5, gt=0)
    local_latency_s: float = Field(default=0, ge=0)
    local_progress_steps: int = Field(default=0, ge=0, le=100)

    @field_validator("worker_name")
    @classmethod
    def _with_hostname(cls, name: str) -> str:
        return name.replace(HOSTNAME, socket.gethostname()) if HOSTNAME in name else name
