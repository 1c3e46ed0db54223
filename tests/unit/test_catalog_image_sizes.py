"""How each image model is sized, as fal documents it: a custom `{width, height}` is offered
exactly where fal takes one (`ImageSize | Enum` in its schema), and every other model keeps the
form fal wants (its "WxH" strings, or an aspect ratio). A new image model must be placed in one
of these groups, so the choice is made on purpose (docs/catalog.md)."""

import pytest
from studio_catalog.catalog import Catalog
from studio_catalog.datafile import load_models
from studio_contracts.catalog import ModelInfo
from studio_contracts.params import ParamsInvalid, validate_params

CATALOG = Catalog(load_models())
FAL_PRESETS = {"square_hd", "square", "portrait_4_3", "portrait_16_9", "landscape_4_3"}
FAL_PRESETS |= {"landscape_16_9"}

# Models whose `image_size` takes a preset or a {width, height}: the pixel bounds of a side.
CUSTOM_SIZE: dict[str, tuple[int, int]] = {
    "fal-ai/flux/dev": (64, 2048),
    "fal-ai/flux/schnell": (64, 2048),
    "fal-ai/flux-2-pro": (64, 2048),
    "fal-ai/flux-2-pro/edit": (64, 2048),
    "fal-ai/flux-pro/v1.1": (256, 1440),
    "fal-ai/ideogram/v3": (512, 1536),
    "fal-ai/ideogram/v3/remix": (512, 1536),
    "fal-ai/recraft/v3/text-to-image": (1024, 2048),
    "fal-ai/stable-diffusion-v35-large": (64, 2048),
    "fal-ai/stable-diffusion-v35-medium": (64, 2048),
    "openai/gpt-image-2": (480, 3840),
    "openai/gpt-image-2/edit": (480, 3840),
    "local/image": (64, 2048),
    "local/image-edit": (64, 2048),
}
# fal's default where its schema states one (Stable Diffusion 3.5 Large and Medium have none: fal
# picks landscape_4_3, or the controlnet image's size).
DEFAULT_SIZE = {
    "fal-ai/flux-2-pro/edit": "auto",
    "fal-ai/ideogram/v3/remix": "square_hd",
    "fal-ai/recraft/v3/text-to-image": "square_hd",
    "fal-ai/stable-diffusion-v35-large": None,
}
SIZE_STRINGS = {"fal-ai/gpt-image-1.5", "fal-ai/gpt-image-1.5/edit"}
ASPECT_RATIO = {
    "fal-ai/flux-pro/v1.1-ultra",
    "fal-ai/flux-pro/kontext",
    "fal-ai/imagen4/preview",
    "fal-ai/imagen4/preview/fast",
}
NO_SIZE = {
    # The output follows the input image.
    "fal-ai/flux/dev/image-to-image",
    "fal-ai/clarity-upscaler",
    "fal-ai/esrgan",
    "fal-ai/birefnet/v2",
    "fal-ai/bria/background/remove",
}


def model(model_id: str) -> ModelInfo:
    found = CATALOG.get(model_id)
    assert found is not None, model_id
    return found


def test_every_image_model_is_sized_on_purpose() -> None:
    image_models = {m.id for m in CATALOG.models if m.output == "image"}
    groups = [set(CUSTOM_SIZE), SIZE_STRINGS, ASPECT_RATIO, NO_SIZE]
    assert set().union(*groups) == image_models
    assert sum(len(group) for group in groups) == len(image_models)  # each in one group


@pytest.mark.parametrize(("model_id", "bounds"), CUSTOM_SIZE.items())
def test_a_custom_size_is_offered_where_fal_takes_one(
    model_id: str, bounds: tuple[int, int]
) -> None:
    spec = model(model_id).params["image_size"]
    assert spec.type == "image_size"
    assert set(spec.enum or ()) >= FAL_PRESETS
    assert (spec.minimum, spec.maximum) == bounds
    low, high = bounds
    generation_type = model(model_id).types[0]
    custom = {"width": high, "height": low}
    accepted = validate_params(
        model(model_id), generation_type, {"prompt": "a", "image_size": custom}
    )
    assert accepted.params["image_size"] == custom  # sent to fal as given
    with pytest.raises(ParamsInvalid):
        validate_params(
            model(model_id),
            generation_type,
            {"prompt": "a", "image_size": {"width": high + 1, "height": low}},
        )


@pytest.mark.parametrize(("model_id", "default"), DEFAULT_SIZE.items())
def test_a_custom_size_model_keeps_fals_presets_and_default(
    model_id: str, default: str | None
) -> None:
    spec = model(model_id).params["image_size"]
    # A name fal does not list would be refused by fal at run time, after the job was accepted.
    assert set(spec.enum or ()) - {"auto"} == FAL_PRESETS
    assert spec.default == default
    accepted = validate_params(model(model_id), model(model_id).types[0], {"prompt": "a"})
    assert accepted.params.get("image_size") == default


@pytest.mark.parametrize("model_id", sorted(SIZE_STRINGS))
def test_gpt_image_1_5_takes_its_three_sizes_as_strings(model_id: str) -> None:
    spec = model(model_id).params["image_size"]
    assert spec.type == "string"
    sizes = {"1024x1024", "1536x1024", "1024x1536"}
    assert set(spec.enum or ()) - {"auto"} == sizes


@pytest.mark.parametrize("model_id", sorted(ASPECT_RATIO))
def test_an_aspect_ratio_model_has_no_image_size(model_id: str) -> None:
    params = model(model_id).params
    assert "image_size" not in params
    assert params["aspect_ratio"].type == "string"


@pytest.mark.parametrize("model_id", sorted(NO_SIZE))
def test_a_model_that_follows_its_input_has_no_size(model_id: str) -> None:
    params = model(model_id).params
    assert "image_size" not in params and "aspect_ratio" not in params
