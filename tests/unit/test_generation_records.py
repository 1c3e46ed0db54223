"""Generation records: the stored document keeps its shape (names, milliseconds, plain values),
a document stored by an earlier version still reads, and the public view shows what it should."""

from datetime import UTC, datetime
from typing import Any

from studio_contracts.enums import GenerationStatus, GenerationType, MediaType
from studio_generation.records import GenerationRecord, NewGeneration, public

CREATED_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z


def accepted() -> NewGeneration:
    return NewGeneration(
        id="0123456789abcdef01234567",
        owner="user-1",
        project_id="project-1",
        type=GenerationType.IMAGE_TO_IMAGE,
        model_id="local/image-edit",
        runtime="local",
        output=MediaType.IMAGE,
        prompt="a fox",
        params={"prompt": "a fox", "seed": 7, "strength": 0.5},
        input_asset_ids=["asset-1"],
        input_bindings={"image_url": "asset-1"},
        created_ms=CREATED_MS,
        request_id="req-1",
    )


def test_an_accepted_request_is_stored_with_the_fields_and_values_it_always_had() -> None:
    assert accepted().document() == {
        "_id": "0123456789abcdef01234567",
        "sort_id": "0123456789abcdef01234567",
        "owner": "user-1",
        "project_id": "project-1",
        "type": "image-to-image",
        "model_id": "local/image-edit",
        "runtime": "local",
        "output": "image",
        "prompt": "a fox",
        "params": {"prompt": "a fox", "seed": 7, "strength": 0.5},
        "input_asset_ids": ["asset-1"],
        "input_bindings": {"image_url": "asset-1"},
        "status": "pending",
        "attempts": 0,
        "created_ms": CREATED_MS,
        "published": False,
        "request_id": "req-1",
    }


def test_a_finished_document_reads_as_a_typed_record() -> None:
    stored: dict[str, Any] = {
        **accepted().document(),
        "status": "failed",
        "attempts": 2,
        "started_ms": CREATED_MS + 1_000,
        "completed_ms": CREATED_MS + 3_000,
        "lease_until_ms": 0,
        "provider_request": None,
        "error": {"code": "timeout", "message": "too slow"},
        "last_error": {"code": "transient", "message": "HTTP 503"},
        "something_a_later_version_adds": True,
    }

    record = GenerationRecord.model_validate(stored)

    assert record.status is GenerationStatus.FAILED
    assert record.error is not None and record.error.code == "timeout"
    assert record.last_error is not None and record.last_error.message == "HTTP 503"
    assert (record.started_ms, record.completed_ms) == (CREATED_MS + 1_000, CREATED_MS + 3_000)
    assert not record.active


def test_the_public_view_turns_milliseconds_into_times_and_hides_bookkeeping() -> None:
    record = GenerationRecord.model_validate(
        {**accepted().document(), "started_ms": 0, "lease_until_ms": CREATED_MS}
    )

    shown = public(record)

    assert shown.created_at == datetime(2026, 1, 1, tzinfo=UTC)
    assert shown.started_at is None  # 0: not started (what earlier versions stored)
    assert shown.progress is None
    assert "owner" not in shown.model_dump()
    assert shown.model_dump()["inputs"] == [{"asset_id": "asset-1", "param": "image_url"}]


def test_each_input_says_the_parameter_it_went_to_in_the_requests_order() -> None:
    stored = {
        **accepted().document(),
        "input_asset_ids": ["m", "a", "b", "a"],
        "input_bindings": {"mask_url": "m", "image_urls": ["a", "b", "a"]},
    }
    shown = public(GenerationRecord.model_validate(stored))
    assert [(i.asset_id, i.param) for i in shown.inputs] == [
        ("m", "mask_url"),
        ("a", "image_urls"),
        ("b", "image_urls"),
        ("a", "image_urls"),
    ]
    # A record from before bindings were kept says where nothing went.
    older = public(GenerationRecord.model_validate({**stored, "input_bindings": {}}))
    assert [i.param for i in older.inputs] == [None, None, None, None]


def test_progress_is_shown_only_while_active() -> None:
    progress = {"queue_position": 3, "percent": None, "logs": ["queued"]}
    stored = {**accepted().document(), "progress": progress}

    running = public(GenerationRecord.model_validate({**stored, "status": "processing"}))
    done = public(GenerationRecord.model_validate({**stored, "status": "completed"}))

    assert running.progress is not None and running.progress.queue_position == 3
    assert done.progress is None


def test_a_job_waiting_to_be_tried_again_says_why() -> None:
    line = "Trying again in about 4 s (attempt 2 of 5): fal.ai did not answer"
    waiting = GenerationRecord.model_validate(
        {**accepted().document(), "attempts": 1, "progress": {"logs": [line]}}
    )

    shown = public(waiting)

    assert shown.status is GenerationStatus.PENDING
    assert shown.progress is not None and shown.progress.logs == [line]
