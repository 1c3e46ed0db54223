"""Starter templates: ready-made starting points shipped with the catalog, checked at start-up.

Every starter must work as written: its model exists, does its type, and its prompt and
parameters pass the same validation a generation request does. A starter that broke (a model
renamed, a parameter dropped) stops the service with a message naming it, rather than failing
in front of a person who picked it.
"""

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from studio_contracts.catalog import ModelInfo
from studio_contracts.enums import GenerationType
from studio_contracts.params import ParamsInvalid, validate_params
from studio_contracts.templates import StarterTemplate

from studio_catalog.datafile import CatalogDataError, read_yaml

STARTERS_FILE = Path(__file__).parent / "data" / "templates.yaml"


class StarterFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    starters: list[dict[str, Any]] = Field(min_length=1)


def load_starters(models: Iterable[ModelInfo], path: Path = STARTERS_FILE) -> list[StarterTemplate]:
    """Read and check the starters against `models` (as loaded, before availability is set:
    a starter for a hosted model is valid whether or not this server has a key)."""
    by_id = {m.id: m for m in models}
    name = path.name
    try:
        entries = StarterFile.model_validate(read_yaml(path)).starters
    except (OSError, yaml.YAMLError, ValidationError) as exc:
        raise CatalogDataError(f"{name}: {exc}") from exc
    starters: list[StarterTemplate] = []
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        where = f"{name}: starter {entry.get('id', f'#{index + 1}')!r}"
        if "available" in entry:
            raise CatalogDataError(f"{where}: 'available' is decided by the server, not the file")
        try:
            starter = StarterTemplate.model_validate(entry)
        except ValidationError as exc:
            raise CatalogDataError(f"{where}: {exc}") from exc
        if starter.id in seen:
            raise CatalogDataError(f"{where}: the id is used twice")
        seen.add(starter.id)
        _check_runs(where, starter, by_id.get(starter.model_id))
        starters.append(starter)
    _check_coverage(name, starters)
    return starters


def with_availability(
    starters: Iterable[StarterTemplate], models: Iterable[ModelInfo]
) -> list[StarterTemplate]:
    """Each starter marked as its model is on this server."""
    available = {m.id: m.available for m in models}
    return [s.model_copy(update={"available": available[s.model_id]}) for s in starters]


def _check_runs(where: str, starter: StarterTemplate, model: ModelInfo | None) -> None:
    if model is None:
        raise CatalogDataError(f"{where}: no model {starter.model_id!r} in the catalog")
    if "prompt" in starter.params:
        raise CatalogDataError(f"{where}: the prompt goes in `prompt`, not in `params`")
    # As the generation API sends it: the prompt is a parameter when there is one.
    params = dict(starter.params) | ({"prompt": starter.prompt} if starter.prompt else {})
    try:
        validate_params(model, starter.type, params)
    except ParamsInvalid as exc:
        raise CatalogDataError(f"{where}: {exc.summary}") from exc


def _check_coverage(name: str, starters: list[StarterTemplate]) -> None:
    missing = sorted(set(GenerationType) - {s.type for s in starters})
    if missing:
        raise CatalogDataError(f"{name}: no starter for {', '.join(missing)}")
