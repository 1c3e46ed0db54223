"""Parameter validation against model schemas: defaults filled, one error per bad field."""

from typing import Any

import pytest
from studio_catalog.catalog import Catalog
from studio_catalog.datafile import load_models
from studio_contracts.catalog import DEFAULT_STRING_PARAM_MAX, ModelInfo, ParamSpec
from studio_contracts.enums import GenerationType as T
from studio_contracts.generations import RECORD_ID_PATTERN
from studio_contracts.params import REQUIRED, ParamsInvalid, validate_params, value_problem
from studio_generation.service import random_seed
from studio_runtime.field_errors import field_error
from studio_runtime.ids import ID_PATTERN
from studio_runtime.strict_json import non_standard_number

CATALOG = Catalog(load_models())


def model(model_id: str) -> ModelInfo:
    found = CATALOG.get(model_id)
    assert found is not None, model_id
    return found


def errors_of(model_id: str, generation_type: T, params: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(ParamsInvalid) as caught:
        validate_params(model(model_id), generation_type, params)
    return {".".join(str(p) for p in e.loc[1:]): e.type for e in caught.value.errors}


def test_defaults_are_filled_in_and_given_values_kept() -> None:
    result = validate_params(
        model("local/image"), T.TEXT_TO_IMAGE, {"prompt": "a fox", "num_inference_steps": 8}
    )
    assert result.params["prompt"] == "a fox"
    assert result.params["num_inference_steps"] == 8
    assert result.params["image_size"] == "square_hd"
    assert result.params["guidance_scale"] == 3.5
    assert "seed" not in result.params
    assert result.runtime == "local"


def test_flux_dev_accepts_fal_parameters() -> None:
    result = validate_params(
        model("fal-ai/flux/dev"),
        T.TEXT_TO_IMAGE,
        {
            "prompt": "a fox",
            "image_size": "landscape_16_9",
            "num_inference_steps": 28,
            "guidance_scale": 3.5,
            "seed": 42,
        },
    )
    assert result.params["image_size"] == "landscape_16_9"
    assert result.params["seed"] == 42
    assert result.runtime == "fal"


def test_each_bad_field_gets_its_own_error() -> None:
    errors = errors_of(
        "local/image",
        T.TEXT_TO_IMAGE,
        {
            "prompt": "x",
            "num_inference_steps": 500,
            "image_size": "huge",
            "colour": "red",
            "guidance_scale": "high",
        },
    )
    assert errors == {
        "params.num_inference_steps": "out_of_range",
        "params.image_size": "enum",
        "params.colour": "unknown_parameter",
        "params.guidance_scale": "number_type",
    }


def test_missing_required_prompt_is_reported() -> None:
    assert errors_of("local/video", T.TEXT_TO_VIDEO, {}) == {"params.prompt": "missing"}


def test_type_the_model_does_not_support_is_refused() -> None:
    assert errors_of("local/image", T.TEXT_TO_VIDEO, {"prompt": "x"}) == {
        "type": "unsupported_type"
    }


def test_booleans_are_not_numbers_and_floats_are_not_integers() -> None:
    errors = errors_of(
        "local/image",
        T.TEXT_TO_IMAGE,
        {"prompt": "x", "num_images": True, "num_inference_steps": 2.5},
    )
    assert errors == {
        "params.num_images": "integer_type",
        "params.num_inference_steps": "integer_type",
    }


def test_file_inputs_cannot_be_passed_as_parameters() -> None:
    errors = errors_of(
        "local/image-to-video",
        T.IMAGE_TO_VIDEO,
        {"prompt": "x", "image_url": "http://169.254.169.254/"},
    )
    assert errors == {"params.image_url": "media_parameter"}


def test_media_params_are_listed_for_the_generation_service() -> None:
    result = validate_params(model("local/image-to-video"), T.IMAGE_TO_VIDEO, {"prompt": "x"})
    assert set(result.media_params) == {"image_url"}
    assert "image_url" not in result.params


def test_enum_values_keep_their_type() -> None:
    errors = errors_of("local/video", T.TEXT_TO_VIDEO, {"prompt": "x", "duration": 2})
    assert errors == {"params.duration": "string_type"}
    ok = validate_params(model("local/video"), T.TEXT_TO_VIDEO, {"prompt": "x", "duration": "4"})
    assert ok.params["duration"] == "4"


@pytest.mark.parametrize("model_id", [m.id for m in CATALOG.models])
def test_every_model_validates_its_own_defaults(model_id: str) -> None:
    """With required text filled in, each model's schema accepts its own defaults."""
    info = model(model_id)
    params = {
        name: "a test"
        for name, spec in info.params.items()
        if spec.required and spec.type == "string"
    }
    result = validate_params(info, info.types[0], params)
    for name, spec in info.params.items():
        if spec.default is not None:
            assert result.params[name] == spec.default


def test_local_image_takes_a_named_or_a_custom_size() -> None:
    named = validate_params(
        model("local/image"), T.TEXT_TO_IMAGE, {"prompt": "a", "image_size": "square"}
    )
    assert named.params["image_size"] == "square"
    custom = {"width": 64, "height": 96}
    result = validate_params(
        model("local/image"), T.TEXT_TO_IMAGE, {"prompt": "a", "image_size": custom}
    )
    assert result.params["image_size"] == custom


@pytest.mark.parametrize(
    ("size", "code"),
    [
        ({"width": 63, "height": 64}, "out_of_range"),
        ({"width": 64, "height": 2049}, "out_of_range"),
        ({"width": 64.5, "height": 64}, "image_size_type"),
        ({"width": True, "height": 64}, "image_size_type"),
        ({"width": 64}, "image_size_type"),
        ({"width": 64, "height": 64, "depth": 3}, "image_size_type"),
        ([64, 64], "image_size_type"),
        ("huge", "enum"),
    ],
)
def test_bad_custom_sizes_are_refused_at_the_field(size: Any, code: str) -> None:
    assert errors_of("local/image", T.TEXT_TO_IMAGE, {"prompt": "a", "image_size": size}) == {
        "params.image_size": code
    }


def test_generation_requests_take_record_ids_as_the_runtime_makes_them() -> None:
    assert RECORD_ID_PATTERN == ID_PATTERN


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_numbers_must_be_finite(value: float) -> None:
    errors = errors_of("local/image", T.TEXT_TO_IMAGE, {"prompt": "a", "guidance_scale": value})
    assert errors == {"params.guidance_scale": "finite_number"}


@pytest.mark.parametrize(
    ("body", "found"),
    [
        (b'{"params": {"guidance_scale": NaN}}', "NaN"),
        (b'{"a": [1, -Infinity]}', "-Infinity"),
        (b'{"a": Infinity}', "Infinity"),
        (b'{"prompt": "NaN and Infinity, in words"}', None),
        (b'{"a": 1.5}', None),
        (b"not json, NaN", None),
    ],
)
def test_non_standard_numbers_are_found_outside_strings(body: bytes, found: str | None) -> None:
    assert non_standard_number(body) == found


def test_string_parameters_are_capped_by_default() -> None:
    longest = "n" * DEFAULT_STRING_PARAM_MAX
    result = validate_params(
        model("local/image"), T.TEXT_TO_IMAGE, {"prompt": "a", "negative_prompt": longest}
    )
    assert result.params["negative_prompt"] == longest
    errors = errors_of(
        "local/image",
        T.TEXT_TO_IMAGE,
        {"prompt": "q" * 1_000_000, "negative_prompt": longest + "n"},
    )
    assert errors == {
        "params.prompt": "string_too_long",
        "params.negative_prompt": "string_too_long",
    }


def test_string_parameters_keep_line_breaks_but_refuse_control_characters() -> None:
    result = validate_params(
        model("local/image"), T.TEXT_TO_IMAGE, {"prompt": "a", "negative_prompt": "blur,\nnoise"}
    )
    assert result.params["negative_prompt"] == "blur,\nnoise"
    errors = errors_of("local/image", T.TEXT_TO_IMAGE, {"prompt": "a", "negative_prompt": "a\x00b"})
    assert errors == {"params.negative_prompt": "control_character"}


def test_the_prompt_fills_the_parameter_a_model_takes_instead() -> None:
    speech = model("fal-ai/elevenlabs/tts/eleven-v3").model_copy(update={"available": True})
    result = validate_params(speech, T.TEXT_TO_AUDIO, {"prompt": "Hello there"})
    assert result.params["text"] == "Hello there"
    assert "prompt" not in result.params
    with pytest.raises(ParamsInvalid) as caught:
        validate_params(speech, T.TEXT_TO_AUDIO, {})
    assert [(e.loc, e.msg) for e in caught.value.errors] == [
        (["body", "params", "prompt"], "Required.")
    ]
    with pytest.raises(ParamsInvalid) as caught:
        validate_params(speech, T.TEXT_TO_AUDIO, {"prompt": "x" * 100_000})
    assert caught.value.errors[0].loc == ["body", "params", "prompt"]
    # Set by name, the parameter is the caller's own, and so are its errors.
    named = validate_params(speech, T.TEXT_TO_AUDIO, {"text": "Hi"})
    assert named.params["text"] == "Hi"


def test_a_string_parameter_can_set_its_own_cap() -> None:
    capped = model("local/image").model_copy(
        update={"params": {"prompt": ParamSpec(type="string", max_length=5)}}
    )
    assert validate_params(capped, T.TEXT_TO_IMAGE, {"prompt": "12345"}).params == {
        "prompt": "12345"
    }
    with pytest.raises(ParamsInvalid) as caught:
        validate_params(capped, T.TEXT_TO_IMAGE, {"prompt": "123456"})
    assert [e.msg for e in caught.value.errors] == ["At most 5 characters."]
    with pytest.raises(ValueError, match="max_length only applies to string"):
        ParamSpec(type="integer", max_length=5)


def test_a_random_seed_is_drawn_within_the_models_own_range() -> None:
    audio = validate_params(
        model("fal-ai/mmaudio-v2"), T.VIDEO_TO_VIDEO, {"prompt": "rain on a tin roof"}
    )
    assert audio.seed_range == (0, 65535)
    seedance = validate_params(
        model("fal-ai/bytedance/seedance/v1/pro/text-to-video"),
        T.TEXT_TO_VIDEO,
        {"prompt": "waves"},
    )
    assert seedance.seed_range == (0, 2147483647), "-1 ('random' at fal) is not drawn"
    seedless = validate_params(
        model("fal-ai/elevenlabs/tts/eleven-v3"), T.TEXT_TO_AUDIO, {"text": "hi"}
    )
    assert seedless.seed_range is None
    draws = {random_seed((0, 3)) for _ in range(400)}
    assert draws == {0, 1, 2, 3}
    assert all(0 <= random_seed(audio.seed_range) <= 65535 for _ in range(1000))
    assert random_seed((7, 7)) == 7


def test_range_errors_write_bounds_as_people_do() -> None:
    bounded = model("local/image").model_copy(
        update={
            "params": {
                "seed": ParamSpec(type="integer", minimum=0, maximum=4294967295),
                "strength": ParamSpec(type="number", minimum=0.25, maximum=7.5),
            }
        }
    )
    with pytest.raises(ParamsInvalid) as caught:
        validate_params(bounded, T.TEXT_TO_IMAGE, {"seed": 99999999999, "strength": 0.1})
    assert [e.msg for e in caught.value.errors] == [
        "At most 4294967295.",
        "At least 0.25.",
    ]
    with pytest.raises(ParamsInvalid) as caught:
        validate_params(bounded, T.TEXT_TO_IMAGE, {"strength": 8})
    assert [e.msg for e in caught.value.errors] == ["At most 7.5."]


SIZE = ParamSpec(type="image_size", enum=["square_hd", "landscape_4_3"], minimum=64, maximum=2048)


@pytest.mark.parametrize(
    ("spec", "value", "msg", "code"),
    [
        (ParamSpec(type="integer"), 2.5, "Must be a whole number.", "integer_type"),
        (ParamSpec(type="integer"), True, "Must be a whole number.", "integer_type"),
        (ParamSpec(type="number"), "high", "Must be a number.", "number_type"),
        (ParamSpec(type="number"), float("nan"), "Must be a number.", "finite_number"),
        (ParamSpec(type="boolean"), "yes", "Must be true or false.", "boolean_type"),
        (ParamSpec(type="string"), 4, "Must be text.", "string_type"),
        (ParamSpec(type="integer", maximum=4), 5, "At most 4.", "out_of_range"),
        (ParamSpec(type="integer", minimum=1), 0, "At least 1.", "out_of_range"),
        (ParamSpec(type="string", max_length=1), "ab", "At most 1 character.", "string_too_long"),
        (
            ParamSpec(type="string"),
            "a\x00b",
            "Control and text-direction characters are not allowed (U+0000).",
            "control_character",
        ),
        (
            ParamSpec(type="string", enum=["4", "8"]),
            "6",
            "Must be one of: 4, 8.",
            "enum",
        ),
        (SIZE, "huge", "Must be one of: square_hd, landscape_4_3.", "enum"),
        (SIZE, {"width": 5000, "height": 360}, "Width must be 64-2048 pixels.", "out_of_range"),
        (SIZE, {"width": 64, "height": 1}, "Height must be 64-2048 pixels.", "out_of_range"),
        (
            SIZE,
            {"width": 64.5, "height": 64},
            "Width must be a whole number of pixels.",
            "image_size_type",
        ),
        (
            SIZE,
            [64, 64],
            "Must be a size name or {width, height} in pixels, each 64-2048.",
            "image_size_type",
        ),
    ],
)
def test_each_problem_reads_as_the_apis_other_field_errors(
    spec: ParamSpec, value: Any, msg: str, code: str
) -> None:
    """Worded as `studio_runtime.field_errors` words every other field: a capitalised sentence
    with a full stop, the same words for the same meaning."""
    bare = model("local/image").model_copy(update={"params": {"p": spec}})
    with pytest.raises(ParamsInvalid) as caught:
        validate_params(bare, T.TEXT_TO_IMAGE, {"p": value})
    assert [(e.loc, e.msg, e.type) for e in caught.value.errors] == [
        (["body", "params", "p"], msg, code)
    ]
    assert caught.value.summary == f"params.p: {msg}"


def test_model_level_problems_are_sentences_too() -> None:
    with pytest.raises(ParamsInvalid) as caught:
        validate_params(
            model("local/image-to-video"),
            T.TEXT_TO_IMAGE,
            {"colour": "red", "image_url": "http://example.invalid/a.png"},
        )
    assert {".".join(map(str, e.loc[1:])): e.msg for e in caught.value.errors} == {
        "type": "Local Image to Video does not do text-to-image. It does: image-to-video.",
        "params.colour": "Local Image to Video has no parameter 'colour'.",
        "params.image_url": "A file input: attach an asset instead.",
        "params.prompt": "Required.",
    }


@pytest.mark.parametrize(
    ("spec", "value", "pydantic_error"),
    [
        (ParamSpec(type="integer"), "ten", {"type": "int_parsing"}),
        (ParamSpec(type="number"), "ten", {"type": "float_parsing"}),
        (ParamSpec(type="number"), float("inf"), {"type": "finite_number"}),
        (ParamSpec(type="boolean"), "yes", {"type": "bool_parsing"}),
        (ParamSpec(type="string"), 1, {"type": "string_type"}),
        (ParamSpec(type="integer", maximum=4), 5, {"type": "less_than_equal", "ctx": {"le": 4}}),
        (ParamSpec(type="integer", minimum=1), 0, {"type": "greater_than_equal", "ctx": {"ge": 1}}),
        (
            ParamSpec(type="string", max_length=120),
            "x" * 121,
            {"type": "string_too_long", "ctx": {"max_length": 120}},
        ),
        (
            ParamSpec(type="string", enum=["upload", "output"]),
            "gift",
            {"type": "enum", "ctx": {"expected": "'upload' or 'output'"}},
        ),
    ],
)
def test_the_same_meaning_is_said_in_the_same_words_as_pydantics_errors(
    spec: ParamSpec, value: Any, pydantic_error: dict[str, Any]
) -> None:
    """The catalog's checks and `studio_runtime.field_errors` word errors apart (contracts
    cannot import the runtime): a change to one that the other misses fails here."""
    problem = value_problem(spec, value)
    assert problem is not None
    assert problem[0] == field_error({"loc": ["body", "x"], "msg": "", **pydantic_error}).msg


def test_a_missing_parameter_is_required_in_pydantics_words_too() -> None:
    assert field_error({"loc": ["body", "x"], "msg": "", "type": "missing"}).msg == REQUIRED
