"""The catalog's data files: one YAML file per provider group, validated when loaded."""

from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from studio_contracts.catalog import ModelId, ModelInfo, ParamSpec, ProviderGroup
from studio_contracts.catalog import UnavailableFamily as PublicUnavailableFamily
from studio_contracts.enums import GenerationType, MediaType, Quality
from studio_contracts.params import value_problem

DATA_DIR = Path(__file__).parent / "data" / "models"

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's safe loader when PyYAML has it (its wheels do): the same documents, parsed ten times
faster than the pure-Python one; every service start and every test stack reads these files."""


class CatalogDataError(ValueError):
    """A data file is malformed; the message names the file and the entry."""


class ModelEntry(BaseModel):
    """One model as written in a data file."""

    model_config = ConfigDict(extra="forbid")

    id: ModelId
    name: Annotated[str, Field(min_length=1, max_length=80)]
    types: Annotated[list[GenerationType], Field(min_length=1)]
    output: MediaType
    quality: Quality
    recommended: bool = False
    description: Annotated[str, Field(min_length=1, max_length=300)]
    price: Annotated[str, Field(min_length=1)]
    params: dict[str, ParamSpec]
    prompt_param: str | None = None
    """The string parameter the studio's prompt fills, for a model without `prompt`."""
    source: str
    """Where the entry was checked: the model's fal page address."""
    checked: date
    omitted_params: list[str] = Field(default_factory=list)
    """fal parameters deliberately not offered (complex objects such as LoRA lists)."""
    notes: str = ""

    @model_validator(mode="after")
    def _params_consistent(self) -> "ModelEntry":
        if "prompt" in self.params and self.params["prompt"].type != "string":
            raise ValueError("prompt must be a string parameter")
        if self.prompt_param is not None:
            named = self.params.get(self.prompt_param)
            if named is None or named.type != "string" or "prompt" in self.params:
                raise ValueError(
                    "prompt_param must name a string parameter of a model without `prompt`"
                )
        for name, spec in self.params.items():
            if spec.default is None:
                continue
            problem = value_problem(spec, spec.default)
            if problem:
                raise ValueError(
                    f"parameter {name!r}: its default {spec.default!r} does not fit: {problem[0]}"
                )
        return self


class UnavailableFamily(BaseModel):
    """A family the product design names that fal does not serve, and what stands in for it."""

    model_config = ConfigDict(extra="forbid")

    family: str
    reason: str
    """Said to people looking for it (the model dialog), so in their words."""
    stand_in: str
    """For whoever keeps the data: what stands in and where it is."""
    stand_in_models: list[str] = Field(min_length=1)
    """The catalog's models that stand in for it, the closest first (each must exist)."""
    checked: date


class ProviderFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    provider: ProviderGroup
    models: list[ModelEntry] = Field(default_factory=list)
    unavailable: list[UnavailableFamily] = Field(default_factory=list)

    @model_validator(mode="after")
    def _not_empty(self) -> "ProviderFile":
        if not self.models and not self.unavailable:
            raise ValueError("a provider file lists models, or families that are unavailable")
        return self


def load_models(directory: Path = DATA_DIR) -> list[ModelInfo]:
    """Read and validate every data file; raise CatalogDataError on the first bad one."""
    models: list[ModelInfo] = []
    seen: dict[str, Path] = {}
    files = sorted(directory.glob("*.yaml"))
    if not files:
        raise CatalogDataError(f"no catalog data files in {directory}")
    for path in files:
        for entry, group in _read_file(path):
            if entry.id in seen:
                raise CatalogDataError(
                    f"{path.name}: model {entry.id!r} also in {seen[entry.id].name}"
                )
            seen[entry.id] = path
            models.append(_to_info(entry, group))
    return models


def load_unavailable(directory: Path = DATA_DIR) -> list[UnavailableFamily]:
    """Families the design asks for that fal does not serve, as recorded in the data files."""
    return [
        family for path in sorted(directory.glob("*.yaml")) for family in _parse(path).unavailable
    ]


def public_unavailable(
    models: Iterable[ModelInfo], directory: Path = DATA_DIR
) -> list[PublicUnavailableFamily]:
    """The unavailable families as the API tells people, each with its provider's name; raise
    CatalogDataError when one names a stand-in the catalog lacks."""
    known = {model.id for model in models}
    found: list[PublicUnavailableFamily] = []
    for path in sorted(directory.glob("*.yaml")):
        parsed = _parse(path)
        for family in parsed.unavailable:
            missing = [m for m in family.stand_in_models if m not in known]
            if missing:
                raise CatalogDataError(
                    f"{path.name}: {family.family!r} names stand-ins not in the catalog: {missing}"
                )
            found.append(
                PublicUnavailableFamily(
                    family=family.family,
                    provider=parsed.provider.name,
                    reason=family.reason,
                    stand_ins=family.stand_in_models,
                )
            )
    return found


def _parse(path: Path) -> ProviderFile:
    try:
        return ProviderFile.model_validate(read_yaml(path))
    except (yaml.YAMLError, ValidationError) as exc:
        raise CatalogDataError(f"{path.name}: {exc}") from exc


def read_yaml(path: Path) -> Any:
    """The YAML document in `path`, with safe types only."""
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)


def _read_file(path: Path) -> list[tuple[ModelEntry, ProviderGroup]]:
    parsed = _parse(path)
    is_local = parsed.provider.id == "local"
    for entry in parsed.models:
        if entry.id.startswith("local/") != is_local:
            raise CatalogDataError(
                f"{path.name}: {entry.id!r}: ids start with 'local/' exactly when the provider is 'local'"
            )
    return [(entry, parsed.provider) for entry in parsed.models]


def _to_info(entry: ModelEntry, group: ProviderGroup) -> ModelInfo:
    return ModelInfo(
        id=entry.id,
        name=entry.name,
        provider=group,
        runtime="local" if group.id == "local" else "fal",
        types=entry.types,
        output=entry.output,
        quality=entry.quality,
        recommended=entry.recommended,
        description=entry.description,
        price=entry.price,
        params=entry.params,
        prompt_param=entry.prompt_param,
        source=entry.source,
    )
