"""The settings every service shares; each service subclasses `ServiceSettings`."""

import json
import re
from collections.abc import Mapping
from typing import Any, Literal, TypeVar, get_origin

from pydantic import AliasChoices, Field, SecretStr, ValidationError
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, SettingsConfigDict, SettingsError

SettingsT = TypeVar("SettingsT", bound=BaseSettings)

_UNPARSED_FIELD = re.compile(r'error parsing value for field "([^"]+)"')


def load_settings(cls: type[SettingsT]) -> SettingsT:
    """``cls()``, read from the environment; a bad value ends the process with one line per
    variable (``STUDIO_AUTH_MODE: Input should be 'local' or 'accounts'``) instead of a
    traceback, and never with the value itself: a secret's would land in the logs."""
    try:
        return cls()
    except ValidationError as exc:
        lines = [_line(cls, error) for error in exc.errors(include_input=False, include_url=False)]
        raise SystemExit("Invalid configuration:\n  " + "\n  ".join(lines)) from None
    except SettingsError as exc:  # a JSON value that does not parse
        raise SystemExit(f"Invalid configuration:\n  {_not_json(cls, exc)}") from None


def _line(cls: type[BaseSettings], error: Any) -> str:
    loc = error["loc"]
    if not loc:
        # A check of several settings together (`STUDIO_HOST` with `STUDIO_AUTH_MODE`): its
        # message names them itself.
        return _said(error)
    where = _variable(cls, str(loc[0]))
    # Within a JSON value: the key or position the message is about.
    where += "".join(f"[{json.dumps(part)}]" for part in loc[1:])
    return f"{where}: {_said(error)}"


def _said(error: Any) -> str:
    # A secret's length check speaks of "items"; it is characters.
    if error["type"] == "too_short":
        return f"Should be at least {error['ctx']['min_length']} characters long"
    # Our validators' own sentences, without the prefix pydantic puts before them.
    return str(error["msg"]).removeprefix("Value error, ")


def _not_json(cls: type[BaseSettings], exc: SettingsError) -> str:
    """`STUDIO_X: not valid JSON (expected an object such as {…})` for a value pydantic-settings
    could not parse; its own message names the field, not the variable, and says nothing of
    JSON."""
    found = _UNPARSED_FIELD.search(str(exc))
    field = cls.model_fields.get(found.group(1)) if found else None
    if found is None or field is None:
        return str(exc)
    shape = _shape(field)
    example = _example(field)
    expected = f"{shape} such as {example}" if example else shape
    return f"{_variable(cls, found.group(1))}: not valid JSON (expected {expected})"


def _variable(cls: type[BaseSettings], name: str) -> str:
    """The environment variable a field is read from."""
    prefix = str(cls.model_config.get("env_prefix", ""))
    field = cls.model_fields.get(name)
    alias = field.validation_alias if field is not None else None
    if isinstance(alias, AliasChoices) and isinstance(alias.choices[0], str):
        return alias.choices[0].upper()
    if isinstance(alias, str):
        return alias.upper()
    return f"{prefix}{name}".upper()


def _shape(field: FieldInfo) -> str:
    origin = get_origin(field.annotation) or field.annotation
    if isinstance(origin, type) and issubclass(origin, Mapping):
        return "an object"
    if origin in (list, tuple, set, frozenset):
        return "an array"
    return "a JSON value"


def _example(field: FieldInfo) -> str | None:
    """The field's first example (`Field(examples=[...])`), as JSON."""
    return json.dumps(field.examples[0]) if field.examples else None


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
