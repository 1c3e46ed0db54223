"""What text the API stores: names on one line, read in the order typed; longer text keeps its
line breaks. One rule for every shape that takes a name, a description or a prompt."""

from typing import Any

import pytest
from pydantic import BaseModel, ValidationError
from studio_contracts.accounts import SignUp, TokenCreate
from studio_contracts.assets import AssetUpdate
from studio_contracts.generations import GenerationCreate
from studio_contracts.projects import ProjectCreate, ProjectUpdate
from studio_contracts.templates import TemplateCreate, TemplateUpdate

NAMES: list[tuple[type[BaseModel], dict[str, Any], str]] = [
    (ProjectCreate, {}, "name"),
    (ProjectUpdate, {}, "name"),
    (TemplateCreate, {"type": "text-to-image", "model_id": "local/image"}, "name"),
    (TemplateUpdate, {}, "name"),
    (AssetUpdate, {}, "name"),
    (TokenCreate, {}, "name"),
    (SignUp, {"email": "a@example.test", "password": "long enough pass"}, "display_name"),
]
LONG_TEXTS: list[tuple[type[BaseModel], dict[str, Any], str]] = [
    (ProjectCreate, {"name": "x"}, "description"),
    (TemplateCreate, {"name": "x", "type": "text-to-image", "model_id": "local/image"}, "prompt"),
    (TemplateUpdate, {}, "description"),
    (GenerationCreate, {"type": "text-to-image", "model_id": "local/image"}, "prompt"),
]
REFUSED_EVERYWHERE = ["a\x00b", "a\x1b[31mb", "a\u202eb", "a\u2066b\u2069"]


@pytest.mark.parametrize(("shape", "rest", "field"), NAMES)
@pytest.mark.parametrize("value", [*REFUSED_EVERYWHERE, "two\nlines", "a\tb", "a\u200fb"])
def test_a_name_refuses_control_and_direction_characters(
    shape: type[BaseModel], rest: dict[str, Any], field: str, value: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        shape.model_validate({**rest, field: value})
    assert "Control and text-direction characters are not allowed" in str(caught.value)


@pytest.mark.parametrize(("shape", "rest", "field"), NAMES)
def test_a_name_in_any_script_is_kept(
    shape: type[BaseModel], rest: dict[str, Any], field: str
) -> None:
    for name in (
        "Moodboard",
        "\u0644\u0648\u062d\u0629 \u0627\u0644\u0645\u0632\u0627\u062c",  # Arabic
        "\u05dc\u05d5\u05d7 \u05d4\u05e9\u05e8\u05d0\u05d4 2",  # Hebrew, then a digit
        "\u30e0\u30fc\u30c9\u30dc\u30fc\u30c9",
        "Caf\u00e9 \U0001f98a",
    ):
        assert getattr(shape.model_validate({**rest, field: name}), field) == name


@pytest.mark.parametrize(("shape", "rest", "field"), LONG_TEXTS)
def test_longer_text_keeps_line_breaks_but_refuses_control_characters(
    shape: type[BaseModel], rest: dict[str, Any], field: str
) -> None:
    kept = "first line\r\nsecond\tline \u200f\u0645\u0631\u062d\u0628\u0627\u200e"
    assert getattr(shape.model_validate({**rest, field: kept}), field) == kept
    for value in REFUSED_EVERYWHERE:
        with pytest.raises(ValidationError):
            shape.model_validate({**rest, field: value})


@pytest.mark.parametrize("shape", [ProjectUpdate, TemplateUpdate, AssetUpdate])
def test_a_partial_update_refuses_null(shape: type[BaseModel]) -> None:
    with pytest.raises(ValidationError) as caught:
        shape.model_validate({"name": None})
    assert "Must not be null. Leave the field out to keep it unchanged." in str(caught.value)


def test_favorite_takes_a_boolean_only() -> None:
    assert AssetUpdate.model_validate({"favorite": True}).favorite is True
    for value in ("yes", 1, "true"):
        with pytest.raises(ValidationError):
            AssetUpdate.model_validate({"favorite": value})
