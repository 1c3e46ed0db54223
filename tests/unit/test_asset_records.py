"""Asset records as the repository reads and writes them: typed, times in milliseconds, and the
dates earlier versions stored still readable."""

from datetime import UTC, datetime
from typing import Any

from studio_assets.repository import AssetRecord
from studio_contracts.assets import AssetKind
from studio_contracts.enums import MediaType
from studio_runtime.clock import to_ms

MOMENT = datetime(2026, 11, 30, 12, 34, 56, 789000, tzinfo=UTC)


def stored(**fields: Any) -> dict[str, Any]:
    return {
        "_id": "0123456789abcdef01234567",
        "owner": "user-1",
        "project_id": "p1",
        "kind": "upload",
        "media_type": "image",
        "content_type": "image/png",
        "size": 10,
        "sha256": "0" * 64,
        "name": "fox.png",
        "object_key": "user-1/p1/uploads/0123456789abcdef01234567.png",
        "dedup_key": "upload:0123456789abcdef01234567",
        "tags": [],
        "favorite": False,
        **fields,
    }


def test_a_record_reads_its_time_in_milliseconds() -> None:
    record = AssetRecord.model_validate(stored(created_ms=to_ms(MOMENT)))
    assert record.public().created_at == MOMENT


def test_a_record_stored_with_a_date_reads_as_the_same_moment() -> None:
    record = AssetRecord.model_validate(stored(created_at=MOMENT))
    assert record.created_ms == to_ms(MOMENT)
    assert record.public().created_at == MOMENT


def test_a_naive_stored_date_is_taken_as_utc() -> None:
    record = AssetRecord.model_validate(stored(created_at=MOMENT.replace(tzinfo=None)))
    assert record.public().created_at == MOMENT


def test_a_written_record_holds_milliseconds_and_leaves_unknown_facts_out() -> None:
    record = AssetRecord.model_validate(stored(created_ms=to_ms(MOMENT)))
    document = record.document()
    assert document["_id"] == record.id
    assert document["created_ms"] == to_ms(MOMENT)
    assert (document["kind"], document["media_type"]) == ("upload", "image")
    # Absent rather than null: the embedded MongoDB-wire server treats null as missing.
    assert not {"created_at", "width", "thumbnail_key", "generation_id"} & document.keys()
    assert AssetRecord.model_validate(document) == record


def test_the_public_shape_links_content_and_only_an_existing_thumbnail() -> None:
    bare = AssetRecord.model_validate(stored(created_ms=0))
    assert bare.public().content_url == f"/api/v1/assets/{bare.id}/content"
    assert bare.public().thumbnail_url is None
    with_thumbnail = bare.model_copy(update={"thumbnail_key": "k.thumb.webp"})
    assert with_thumbnail.public().thumbnail_url == f"/api/v1/assets/{bare.id}/thumbnail"
    assert (bare.kind, bare.media_type) == (AssetKind.UPLOAD, MediaType.IMAGE)
