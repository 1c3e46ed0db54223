"""The settings every service shares; each service subclasses `ServiceSettings`."""

from typing import Any, Literal, TypeVar

from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict, SettingsError

SettingsT = TypeVar("SettingsT", bound=BaseSettings)


def load_settings(cls: type[SettingsT]) -> SettingsT:
    """``cls()``, read from the environment; a bad value ends the process with one line per
    variable (``STUDIO_AUTH_MODE: Input should be 'local' or 'accounts'``) instead of a
    traceback, and never with the value itself: a secret's would land in the logs."""
    try:
        return cls()
    except ValidationError as exc:
        prefix = cls.model_config.get("env_prefix", "")
        lines = [
            f"{prefix}{str(error['loc'][0]).upper() if error['loc'] else ''}: {_said(error)}"
            for error in exc.errors(include_input=False, include_url=False)
        ]
        raise SystemExit("Invalid configuration:\n  " + "\n  ".join(lines)) from None
    except SettingsError as exc:  # a JSON value that does not parse
        raise SystemExit(f"Invalid configuration: {exc}") from None


def _said(error: Any) -> str:
    # A secret's length check speaks of "items"; it is characters.
    if error["type"] == "too_short":
        return f"Should be at least {error['ctx']['min_length']} characters long"
    return str(error["msg"])


class ServiceSettings(BaseSettings):
    """Read from `STUDIO_*` environment variables. Defaults suit one machine (`make run`)."""

    model_config = SettingsConfigDict(env_prefix="STUDIO_", extra="ignore", frozen=True)

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    log_json: bool = False
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    internal_secret: SecretStr = Field(min_length=32)
    """Shared by the gateway and the services to sign and check the internal identity.

    No default on purpose: a deployment must choose its own (`make run` generates one)."""
    internal_token_ttl_s: float = Field(default=60, gt=0)
    shutdown_grace_s: int = Field(default=10, ge=0)


class MongoSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="STUDIO_", extra="ignore", frozen=True)

    mongo_url: str = "mongodb://127.0.0.1:27017"
    mongo_db: str = Field(default="studio", pattern=r"^[A-Za-z0-9_-]{1,63}$")
    """The service's own database; each service overrides the default with its name."""
    mongo_timeout_ms: int = Field(default=5000, gt=0)


class NatsSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="STUDIO_", extra="ignore", frozen=True)

    nats_url: str = "nats://127.0.0.1:4222"
    """One server, or a cluster's servers comma-separated (`nats://a:4222,nats://b:4222`)."""
    nats_prefix: str = Field(default="", pattern=r"^[A-Za-z0-9_-]*$")
    """Prefix for every subject and stream name, so installations sharing one NATS stay apart."""
    nats_stream_replicas: int = Field(default=1, ge=1, le=5)
    """Copies of each stream a service declares: 1 on one machine, 3 on a JetStream cluster."""
