"""The packaged catalog data files: valid, complete enough, and consistent."""

from pathlib import Path

import pytest
import yaml
from studio_catalog.catalog import Catalog, CatalogError
from studio_catalog.datafile import (
    DATA_DIR,
    CatalogDataError,
    load_models,
    load_unavailable,
    public_unavailable,
    read_yaml,
)
from studio_catalog.starters import STARTERS_FILE
from studio_contracts.enums import GenerationType

MODELS = load_models()
FAL = [m for m in MODELS if m.runtime == "fal"]


def test_the_data_files_read_the_same_as_with_the_pure_python_parser() -> None:
    # read_yaml uses libyaml when PyYAML has it; the documents must not depend on which.
    for path in [*sorted(DATA_DIR.glob("*.yaml")), STARTERS_FILE]:
        assert read_yaml(path) == yaml.safe_load(path.read_text(encoding="utf-8")), path.name


def test_catalog_has_at_least_45_hosted_models() -> None:
    assert len(FAL) >= 45


def test_every_generation_type_has_hosted_and_local_models() -> None:
    for generation_type in GenerationType:
        hosted = [m for m in FAL if generation_type in m.types]
        local = [m for m in MODELS if m.runtime == "local" and generation_type in m.types]
        assert hosted, f"no fal model for {generation_type}"
        assert len(local) == 1, f"want exactly one local model for {generation_type}"


@pytest.mark.parametrize(
    "needle",
    [
        "flux",
        "veo3.1",
        "kling",
        "mochi",
        "luma",
        "minimax",
        "wan",
        "ltx",
        "imagen",
        "gpt-image",
        "recraft",
        "ideogram",
        "stable",
    ],
)
def test_seed_design_families_are_present(needle: str) -> None:
    assert any(needle in m.id for m in FAL), f"no model id contains {needle!r}"


@pytest.mark.parametrize("family", ["Sora 2", "Runway"])
def test_design_families_fal_does_not_serve_are_recorded_with_a_stand_in(family: str) -> None:
    recorded = [f for f in load_unavailable() if f.family.startswith(family)]
    assert recorded, f"{family} is neither in the catalog nor recorded as unavailable"
    assert all(f.stand_in and f.reason and f.stand_in_models for f in recorded)
    assert not any(family.lower().replace(" ", "-") in m.id for m in FAL)


def test_local_models_take_prompt_or_image_and_seed() -> None:
    for model in (m for m in MODELS if m.runtime == "local"):
        assert model.id.startswith("local/")
        assert model.provider.id == "local"
        assert "seed" in model.params
        assert "prompt" in model.params


def test_every_hosted_model_records_where_it_was_checked() -> None:
    for model in FAL:
        assert model.source.startswith("https://"), model.id
        assert model.price, model.id


def test_media_inputs_match_generation_type_inputs() -> None:
    """A model offering image-to-video must take an image; text-to-X needs no file input."""
    media_types = {"image": "image", "images": "image", "video": "video", "audio": "audio"}
    for model in MODELS:
        required = {media_types[s.type] for s in model.params.values() if s.is_media and s.required}
        for generation_type in model.types:
            if generation_type.startswith("text-to"):
                assert not required, f"{model.id} needs a file but offers {generation_type}"


def test_every_numeric_parameter_is_bounded() -> None:
    """A number with no range lets a person pick a value the provider refuses with a 422 after
    the generation was queued; an enum bounds it as well as a range does."""
    unbounded = [
        f"{model.id} {name}"
        for model in MODELS
        for name, spec in model.params.items()
        if spec.type in ("integer", "number")
        and spec.enum is None
        and (spec.minimum is None or spec.maximum is None)
    ]
    assert unbounded == []


@pytest.mark.parametrize(
    ("model_id", "dropped"),
    [
        ("fal-ai/elevenlabs/tts/eleven-v3", {"similarity_boost", "style", "speed"}),
        ("fal-ai/hunyuan-video", {"num_inference_steps"}),
        ("fal-ai/imagen4/preview", {"safety_tolerance", "seed"}),
        ("fal-ai/imagen4/preview/fast", {"safety_tolerance", "seed"}),
    ],
)
def test_parameters_fal_no_longer_declares_are_not_offered(
    model_id: str, dropped: set[str]
) -> None:
    model = next(m for m in MODELS if m.id == model_id)
    assert dropped.isdisjoint(model.params)


def test_duplicate_model_id_across_files_is_refused(tmp_path: Path) -> None:
    source = DATA_DIR / "local.yaml"
    (tmp_path / "a.yaml").write_text(source.read_text())
    (tmp_path / "b.yaml").write_text(source.read_text())
    with pytest.raises(CatalogDataError, match="also in"):
        load_models(tmp_path)


def test_default_outside_range_is_refused_with_file_and_parameter_named(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text(
        """
provider: {id: acme, name: Acme}
models:
  - id: acme/model
    name: Acme
    types: [text-to-image]
    output: image
    quality: fast
    description: test
    price: free
    source: https://example.invalid
    checked: 2026-11-25
    params:
      steps: {type: integer, default: 99, minimum: 1, maximum: 50}
"""
    )
    with pytest.raises(
        CatalogDataError, match=r"(?s)bad\.yaml.*'steps': its default 99 does not fit: At most 50\."
    ):
        load_models(tmp_path)


def test_unknown_field_in_data_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text(
        "provider: {id: acme, name: Acme}\nmodels:\n  - id: acme/m\n    colour: red\n"
    )
    with pytest.raises(CatalogDataError, match=r"bad\.yaml"):
        load_models(tmp_path)


def test_local_id_outside_local_provider_is_refused(tmp_path: Path) -> None:
    source = (DATA_DIR / "local.yaml").read_text()
    (tmp_path / "x.yaml").write_text(source.replace("id: local\n", "id: other\n", 1))
    with pytest.raises(CatalogDataError, match="local/"):
        load_models(tmp_path)


def test_catalog_without_a_recommended_model_for_a_type_is_refused() -> None:
    without = [
        m.model_copy(update={"recommended": False}) if GenerationType.IMAGE_TO_3D in m.types else m
        for m in MODELS
    ]
    with pytest.raises(CatalogError, match="image-to-3d"):
        Catalog(without)


def test_every_model_made_from_words_takes_the_prompt() -> None:
    """The studio's prompt box must reach every text-to-anything model: as `prompt`, or as the
    parameter the model names instead (`prompt_param`, ElevenLabs' `text`)."""
    for model in load_models():
        if any(t.startswith("text-to-") for t in model.types):
            assert "prompt" in model.params or model.prompt_param in model.params, model.id


def test_an_unavailable_family_naming_a_stand_in_the_catalog_lacks_is_a_data_error(
    tmp_path: Path,
) -> None:
    (tmp_path / "gone.yaml").write_text(
        "provider: {id: gone, name: Gone}\n"
        "unavailable:\n"
        "  - family: Gone 1\n"
        "    reason: It went.\n"
        "    stand_in: nothing\n"
        "    stand_in_models: [fal-ai/not-a-model]\n"
        "    checked: 2026-12-07\n"
    )
    with pytest.raises(CatalogDataError, match="fal-ai/not-a-model"):
        public_unavailable(MODELS, tmp_path)
