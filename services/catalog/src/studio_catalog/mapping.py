"""The original design's model-mapping helpers (inferGenerationType, createModelModalityMapping,
getModelsByGenerationType, getRecommendedModels, modelSupportsGenerationType)."""

from collections.abc import Iterable
from dataclasses import dataclass

from studio_contracts.catalog import ModelInfo
from studio_contracts.enums import GenerationType, MediaType
from studio_contracts.generation_types import GENERATION_TYPE_INFO


@dataclass(frozen=True)
class Modality:
    """What a model takes (file inputs) and what it makes."""

    inputs: tuple[MediaType, ...]
    output: MediaType


_MEDIA_OF_PARAM = {
    "image": MediaType.IMAGE,
    "images": MediaType.IMAGE,
    "video": MediaType.VIDEO,
    "audio": MediaType.AUDIO,
}


def infer_generation_type(model: ModelInfo) -> GenerationType:
    """The model's primary type: the declared one whose inputs and output best fit its schema.

    A model declaring one type is that type. For several, prefer the type whose required file
    inputs the model's required media parameters match (an image-required model is image-to-X)."""
    if len(model.types) == 1:
        return model.types[0]
    required_media = {
        _MEDIA_OF_PARAM[spec.type]
        for spec in model.params.values()
        if spec.is_media and spec.required
    }
    for generation_type in model.types:
        info = GENERATION_TYPE_INFO[generation_type]
        if set(info.inputs) == required_media and info.output == model.output:
            return generation_type
    return model.types[0]


def modality_of(model: ModelInfo) -> Modality:
    media = {_MEDIA_OF_PARAM[spec.type] for spec in model.params.values() if spec.is_media}
    return Modality(inputs=tuple(sorted(media)), output=model.output)


def model_modality_mapping(models: Iterable[ModelInfo]) -> dict[str, Modality]:
    return {model.id: modality_of(model) for model in models}


def model_supports_generation_type(model: ModelInfo, generation_type: GenerationType) -> bool:
    return generation_type in model.types


def models_by_generation_type(
    models: Iterable[ModelInfo], generation_type: GenerationType
) -> list[ModelInfo]:
    return [m for m in models if model_supports_generation_type(m, generation_type)]


def recommended_models(
    models: Iterable[ModelInfo], generation_type: GenerationType | None = None
) -> list[ModelInfo]:
    """Recommended models: those this server can run first (so a studio without a fal key
    offers an offline model first), and among those hosted ones before the local ones."""
    chosen = [
        m
        for m in models
        if m.recommended and (generation_type is None or generation_type in m.types)
    ]
    return sorted(chosen, key=lambda m: (not m.available, m.runtime == "local"))
