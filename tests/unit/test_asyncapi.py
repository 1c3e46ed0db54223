"""The AsyncAPI document: current in docs/, complete, self-consistent, and within its major
version only ever extended (the versioning rule other teams rely on)."""

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from studio_contracts import asyncapi, events, subjects

ROOT = Path(__file__).parents[2]
CURRENT = asyncapi.document()


def _frozen() -> dict[str, Any]:
    path = ROOT / "docs" / "events" / f"v{asyncapi.major(asyncapi.EVENTS_VERSION)}.json"
    loaded: dict[str, Any] = json.loads(path.read_text())
    return loaded


def test_the_checked_in_document_is_current() -> None:
    checked_in = json.loads((ROOT / "docs" / "asyncapi.json").read_text())
    assert checked_in == json.loads(json.dumps(CURRENT)), (
        "docs/asyncapi.json is stale: run `python -m studio_contracts.asyncapi --write`"
    )


def test_every_stored_event_has_a_channel_and_every_reference_resolves() -> None:
    stored = {
        getattr(subjects, name)
        for name in dir(subjects)
        if name.isupper()
        and isinstance(getattr(subjects, name), str)
        and "." in getattr(subjects, name)
        and getattr(subjects, name) not in subjects.NOT_STORED
    }
    addresses = {channel["address"] for channel in CURRENT["channels"].values()}
    assert addresses == stored
    event_classes = {
        cls
        for cls in vars(events).values()
        if isinstance(cls, type) and issubclass(cls, events.Event) and "subject" in vars(cls)
    }
    assert {model for model, _ in asyncapi.PUBLISHED} == event_classes
    assert CURRENT["asyncapi"] == "3.0.0"

    def refs(node: Any) -> list[str]:
        if isinstance(node, dict):
            found = [node["$ref"]] if "$ref" in node else []
            return found + [r for value in node.values() for r in refs(value)]
        if isinstance(node, list):
            return [r for value in node for r in refs(value)]
        return []

    for ref in refs(CURRENT):
        target: Any = CURRENT
        for part in ref.removeprefix("#/").split("/"):
            target = target[part]
        assert isinstance(target, dict), ref


def test_within_the_major_version_the_events_only_grow() -> None:
    frozen = _frozen()
    assert asyncapi.major(frozen["info"]["version"]) == asyncapi.major(asyncapi.EVENTS_VERSION)
    assert asyncapi.compatibility_problems(frozen, CURRENT) == []


def _edited(change: Any) -> dict[str, Any]:
    doc = copy.deepcopy(CURRENT)
    change(doc)
    return doc


def _schema(doc: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = doc["components"]["schemas"][name]
    return found


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (
            lambda d: _schema(d, "GenerationCompleted")["properties"].pop("outputs"),
            "GenerationCompleted.outputs is gone",
        ),
        (
            lambda d: _schema(d, "OutputFile")["properties"].update(size={"type": "string"}),
            "OutputFile.size changed type",
        ),
        (
            lambda d: _schema(d, "AssetCreated")["required"].remove("asset_id"),
            "AssetCreated.asset_id is no longer always present",
        ),
        (lambda d: d["channels"].pop("generation-failed"), "channel generation-failed"),
        (lambda d: d["components"]["schemas"].pop("ErrorInfo"), "schema ErrorInfo is gone"),
    ],
)
def test_an_incompatible_change_is_caught(change: Any, problem: str) -> None:
    problems = asyncapi.compatibility_problems(CURRENT, _edited(change))
    assert any(p.startswith(problem) for p in problems), problems


def test_additions_are_compatible() -> None:
    def add(doc: dict[str, Any]) -> None:
        _schema(doc, "GenerationCompleted")["properties"]["cost_usd"] = {"type": "number"}
        _schema(doc, "GenerationCompleted")["properties"]["prompt"]["description"] = "reworded"
        doc["channels"]["generation-archived"] = {"address": "generation.archived"}

    assert asyncapi.compatibility_problems(CURRENT, _edited(add)) == []
