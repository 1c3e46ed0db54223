"""Search, filters and recommendations over the catalog."""

from studio_catalog.catalog import Catalog
from studio_catalog.datafile import load_models
from studio_contracts.enums import GenerationType, MediaType, Quality

CATALOG = Catalog(load_models())


def test_type_filter_returns_only_models_of_that_type() -> None:
    result = CATALOG.search(type=GenerationType.TEXT_TO_VIDEO, limit=200)
    assert result.items
    assert all(GenerationType.TEXT_TO_VIDEO in m.types for m in result.items)
    assert all(m.output == MediaType.VIDEO for m in result.items)


def test_total_counts_every_match_regardless_of_limit() -> None:
    everything = CATALOG.search(limit=200)
    page = CATALOG.search(limit=3, offset=2)
    assert page.total == everything.total == len(CATALOG)
    assert [m.id for m in page.items] == [m.id for m in everything.items[2:5]]


def test_query_is_case_insensitive_over_name_id_provider_and_description() -> None:
    by_name = CATALOG.search(q="fLuX")
    assert by_name.items and all("flux" in (m.name + m.id).lower() for m in by_name.items)
    by_provider = CATALOG.search(q="black forest")
    assert {m.provider.id for m in by_provider.items} == {"black-forest-labs"}
    by_id = CATALOG.search(q="local/audio")
    assert [m.id for m in by_id.items] == ["local/audio"]
    offline = CATALOG.search(q="offline")
    assert {m.id for m in offline.items} >= {"local/image", "local/video"}


def test_query_words_must_all_match() -> None:
    both = CATALOG.search(q="veo fast", limit=200)
    assert both.items
    for model in both.items:
        text = f"{model.name} {model.id} {model.description}".lower()
        assert "veo" in text and "fast" in text


def test_provider_and_quality_filters_combine() -> None:
    result = CATALOG.search(provider="local", quality=Quality.FAST, limit=200)
    assert result.total == 7
    assert CATALOG.search(provider="local", quality=Quality.PRO).total == 0


def test_query_with_no_match_returns_empty_page() -> None:
    result = CATALOG.search(q="no-such-model-anywhere")
    assert result.items == [] and result.total == 0


def test_hosted_models_come_before_local_ones() -> None:
    ids = [m.id for m in CATALOG.search(limit=200).items]
    first_local = next(i for i, model_id in enumerate(ids) if model_id.startswith("local/"))
    assert all(model_id.startswith("local/") for model_id in ids[first_local:])


def test_recommended_models_are_per_type_hosted_first() -> None:
    for generation_type in GenerationType:
        recommended = CATALOG.recommended(generation_type)
        assert recommended, generation_type
        assert all(m.recommended and generation_type in m.types for m in recommended)
        assert recommended[-1].runtime == "local"
        assert recommended[0].runtime == "fal"
