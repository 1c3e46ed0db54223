"""The starter templates shipped with the catalog: valid as shipped, and a broken file is
refused with a message naming the starter."""

from pathlib import Path

import pytest
from studio_catalog.datafile import CatalogDataError, load_models
from studio_catalog.main import create_app
from studio_catalog.settings import CatalogSettings
from studio_catalog.starters import STARTERS_FILE, load_starters
from studio_contracts.enums import GenerationType

from tests.support.apps import make_settings

MODELS = load_models()
STARTERS = load_starters(MODELS)
GOOD = """
starters:
  - id: fox
    name: Fox
    description: A fox.
    type: text-to-image
    model_id: local/image
    prompt: a fox
    params: {image_size: square}
"""


def test_between_12_and_20_starters_cover_every_type() -> None:
    assert 12 <= len(STARTERS) <= 20
    assert {s.type for s in STARTERS} == set(GenerationType)


def test_most_starters_work_offline_and_some_use_popular_hosted_models() -> None:
    local = [s for s in STARTERS if s.model_id.startswith("local/")]
    hosted = {s.model_id for s in STARTERS} - {s.model_id for s in local}
    assert len(local) > len(STARTERS) / 2
    assert {s.type for s in local} == set(GenerationType)  # every type works without a key
    assert "fal-ai/flux/dev" in hosted
    assert any("veo3.1" in m for m in hosted)
    assert any("kling" in m for m in hosted)


def test_ids_are_unique_slugs() -> None:
    ids = [s.id for s in STARTERS]
    assert len(set(ids)) == len(ids)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "templates.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_small_good_file_loads_except_that_it_misses_types(tmp_path: Path) -> None:
    with pytest.raises(CatalogDataError, match="no starter for image-to-3d"):
        load_starters(MODELS, write(tmp_path, GOOD))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("model_id: local/image", "model_id: fal-ai/nope"), "no model 'fal-ai/nope'"),
        (("type: text-to-image", "type: text-to-video"), "does not do text-to-video"),
        (("{image_size: square}", "{image_size: huge}"), "params.image_size: Must be one of: "),
        (("{image_size: square}", "{lora: 1}"), "has no parameter 'lora'"),
        (("{image_size: square}", "{prompt: x}"), "the prompt goes in `prompt`"),
        (("id: fox", "id: Fox/../x"), "String should match pattern"),
        (
            ("{image_size: square}", "{image_size: square}\n    available: false"),
            "decided by the server",
        ),
    ],
)
def test_a_broken_starter_is_refused_by_name(
    tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    old, new = change
    with pytest.raises(CatalogDataError, match=r"templates\.yaml: starter .*") as caught:
        load_starters(MODELS, write(tmp_path, GOOD.replace(old, new)))
    assert message in str(caught.value)


def test_a_duplicate_id_and_an_unreadable_file_are_refused(tmp_path: Path) -> None:
    entry = GOOD.split("starters:\n", 1)[1]
    with pytest.raises(CatalogDataError, match="'fox': the id is used twice"):
        load_starters(MODELS, write(tmp_path, "starters:\n" + entry + entry))
    with pytest.raises(CatalogDataError, match=r"templates\.yaml"):
        load_starters(MODELS, write(tmp_path, "starters: [: nope"))
    with pytest.raises(CatalogDataError, match=r"missing\.yaml: .*No such file"):
        load_starters(MODELS, tmp_path / "missing.yaml")


def test_a_bad_starters_file_stops_the_service(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("local/image", "fal-ai/nope"))
    with pytest.raises(CatalogDataError, match="no model 'fal-ai/nope'"):
        create_app(make_settings(CatalogSettings, catalog_starters_file=path))
    assert STARTERS_FILE.is_file()
