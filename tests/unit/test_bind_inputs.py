"""`bind_inputs`: a generation's input assets, in order, to the model's file parameters (the
parameter a request names for a file, else the first free one of its kind)."""

from datetime import UTC, datetime

from studio_contracts.assets import Asset, AssetKind
from studio_contracts.catalog import ParamSpec
from studio_contracts.enums import GenerationType, MediaType
from studio_generation.inputs import bind_inputs

IMAGE = ParamSpec(type="image", required=True)
OPTIONAL_IMAGE = ParamSpec(type="image")
IMAGES = ParamSpec(type="images")
VIDEO = ParamSpec(type="video", required=True)


def asset(asset_id: str, media: MediaType, param: str | None = None) -> tuple[Asset, str | None]:
    """An asset of the request, and the parameter the request names for it (none: by kind)."""
    return Asset(
        id=asset_id,
        project_id="p",
        kind=AssetKind.UPLOAD,
        media_type=media,
        content_type="application/octet-stream",
        size=1,
        sha256="0" * 64,
        name=asset_id,
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
        content_url=f"/api/v1/assets/{asset_id}/content",
    ), param


def test_an_image_binds_to_the_image_parameter() -> None:
    bindings, errors = bind_inputs(
        GenerationType.IMAGE_TO_VIDEO, [asset("a", MediaType.IMAGE)], {"image_url": IMAGE}
    )
    assert errors == []
    assert bindings == {"image_url": "a"}


def test_required_parameters_are_filled_before_optional_ones() -> None:
    params = {"reference_url": OPTIONAL_IMAGE, "image_url": IMAGE}
    bindings, errors = bind_inputs(
        GenerationType.IMAGE_TO_IMAGE,
        [asset("first", MediaType.IMAGE), asset("second", MediaType.IMAGE)],
        params,
    )
    assert errors == []
    assert bindings == {"image_url": "first", "reference_url": "second"}


def test_an_images_parameter_collects_every_image_in_order() -> None:
    bindings, errors = bind_inputs(
        GenerationType.IMAGE_TO_IMAGE,
        [asset("a", MediaType.IMAGE), asset("b", MediaType.IMAGE), asset("c", MediaType.IMAGE)],
        {"image_urls": IMAGES},
    )
    assert errors == []
    assert bindings == {"image_urls": ["a", "b", "c"]}


def test_a_missing_asset_is_reported_at_its_index() -> None:
    bindings, errors = bind_inputs(
        GenerationType.IMAGE_TO_VIDEO,
        [asset("a", MediaType.IMAGE), (None, None)],
        {"image_url": IMAGE},
    )
    assert bindings == {"image_url": "a"}
    assert [(e.loc, e.type) for e in errors] == [(["body", "input_asset_ids", 1], "not_found")]


def test_a_file_of_the_wrong_kind_says_what_the_model_takes() -> None:
    _, errors = bind_inputs(
        GenerationType.IMAGE_TO_VIDEO, [asset("v", MediaType.VIDEO)], {"image_url": IMAGE}
    )
    [error] = errors
    assert error.type == "wrong_media_type"
    assert error.loc == ["body", "input_asset_ids", 0]
    assert "video" in error.msg
    assert "image" in error.msg


def test_a_second_file_for_a_single_parameter_is_refused_as_one_too_many() -> None:
    _, errors = bind_inputs(
        GenerationType.IMAGE_TO_VIDEO,
        [asset("a", MediaType.IMAGE), asset("b", MediaType.IMAGE)],
        {"image_url": IMAGE},
    )
    assert [(e.loc, e.type, e.msg) for e in errors] == [
        (
            ["body", "input_asset_ids", 1],
            "too_many_inputs",
            "this model takes at most 1 image; remove the others",
        )
    ]


def test_a_kind_the_model_does_not_take_is_named_with_its_article() -> None:
    _, errors = bind_inputs(
        GenerationType.VIDEO_TO_VIDEO, [asset("i", MediaType.IMAGE)], {"video_url": VIDEO}
    )
    [error] = errors
    assert error.msg == "an image cannot be used here; this model takes video"


def test_a_model_without_file_parameters_takes_no_files() -> None:
    _, errors = bind_inputs(GenerationType.TEXT_TO_IMAGE, [asset("a", MediaType.IMAGE)], {})
    [error] = errors
    assert error.type == "wrong_media_type"
    assert "no files" in error.msg


def test_a_required_parameter_left_unbound_is_missing() -> None:
    bindings, errors = bind_inputs(GenerationType.VIDEO_TO_VIDEO, [], {"video_url": VIDEO})
    assert bindings == {}
    assert errors
    assert {e.type for e in errors} == {"missing_input"}
    assert any("'video_url'" in e.msg for e in errors)


def test_the_generation_type_needs_its_input_even_if_the_model_makes_it_optional() -> None:
    _, errors = bind_inputs(GenerationType.IMAGE_TO_VIDEO, [], {"image_url": OPTIONAL_IMAGE})
    [error] = errors
    assert error.type == "missing_input"
    assert "image-to-video needs an input image" in error.msg


def test_text_to_image_needs_nothing() -> None:
    assert bind_inputs(GenerationType.TEXT_TO_IMAGE, [], {}) == ({}, [])


MASK = ParamSpec(type="image")
GPT_IMAGE_EDIT = {"image_urls": IMAGES, "mask_url": MASK}


def test_an_image_after_a_list_of_images_is_reached_by_naming_it() -> None:
    # By kind and order, every image goes to the list: the mask cannot be given so.
    by_kind, _ = bind_inputs(
        GenerationType.IMAGE_TO_IMAGE,
        [asset("a", MediaType.IMAGE), asset("m", MediaType.IMAGE)],
        GPT_IMAGE_EDIT,
    )
    assert by_kind == {"image_urls": ["a", "m"]}
    bindings, errors = bind_inputs(
        GenerationType.IMAGE_TO_IMAGE,
        [
            asset("m", MediaType.IMAGE, "mask_url"),
            asset("a", MediaType.IMAGE),
            asset("b", MediaType.IMAGE, "image_urls"),
        ],
        GPT_IMAGE_EDIT,
        field="inputs",
    )
    assert errors == []
    assert bindings == {"mask_url": "m", "image_urls": ["a", "b"]}


def test_a_named_single_parameter_is_kept_from_the_files_before_it() -> None:
    params = {"image_url": IMAGE, "reference_url": OPTIONAL_IMAGE}
    bindings, errors = bind_inputs(
        GenerationType.IMAGE_TO_IMAGE,
        [asset("ref", MediaType.IMAGE), asset("main", MediaType.IMAGE, "image_url")],
        params,
        field="inputs",
    )
    assert errors == []
    assert bindings == {"reference_url": "ref", "image_url": "main"}


def test_a_named_parameter_the_model_lacks_or_of_another_kind_or_given_twice_is_refused() -> None:
    _, errors = bind_inputs(
        GenerationType.IMAGE_TO_IMAGE,
        [
            asset("a", MediaType.IMAGE, "mask"),
            asset("v", MediaType.VIDEO, "mask_url"),
            asset("b", MediaType.IMAGE, "mask_url"),
            asset("c", MediaType.IMAGE, "mask_url"),
        ],
        GPT_IMAGE_EDIT,
        field="inputs",
    )
    assert [(e.loc, e.type, e.msg) for e in errors] == [
        (
            ["body", "inputs", 0, "param"],
            "unknown_input",
            "this model has no file input 'mask'; it takes image_urls, mask_url",
        ),
        (
            ["body", "inputs", 1, "param"],
            "wrong_media_type",
            "'mask_url' takes an image, not a video",
        ),
        (
            ["body", "inputs", 3, "param"],
            "too_many_inputs",
            "'mask_url' takes one file; it is given twice",
        ),
    ]
