"""The AsyncAPI 3 document of every event AI Studio publishes, built from the event models.

Other teams subscribe from this document (docs/asyncapi.json is its checked-in copy; the
generation service serves it at `/asyncapi.json`). Versioning: `EVENTS_VERSION` is semantic.
Within one major version only additive changes are allowed (a new event, a new field, a field
that becomes optional); removing or retyping a field, or a new required field a consumer could
not have relied on, needs a new major version. `compatibility_problems` checks that rule against
the frozen document of the current major version (docs/events/v{major}.json).

    python -m studio_contracts.asyncapi            # print the document
    python -m studio_contracts.asyncapi --write    # refresh docs/asyncapi.json
    python -m studio_contracts.asyncapi --freeze   # also refresh the frozen major version
"""

import json
import sys
from pathlib import Path
from typing import Any

from studio_contracts import events, subjects

EVENTS_VERSION = "1.6.0"

PUBLISHED: tuple[tuple[type[events.Event], str], ...] = (
    (events.GenerationRequested, "generation"),
    (events.GenerationStarted, "generation"),
    (events.GenerationProgress, "generation"),
    (events.GenerationCompleted, "generation"),
    (events.GenerationFailed, "generation"),
    (events.GenerationCancelled, "generation"),
    (events.GenerationDeleted, "generation"),
    (events.AssetCreated, "assets"),
    (events.AssetDeleted, "assets"),
    (events.AssetUpdated, "assets"),
    (events.ProjectCreated, "projects"),
    (events.ProjectUpdated, "projects"),
    (events.ProjectDeleted, "projects"),
    (events.TemplateCreated, "projects"),
    (events.TemplateUpdated, "projects"),
    (events.TemplateDeleted, "projects"),
)
"""Every stored event, with the service that publishes it."""

_GUARANTEES = {
    subjects.GENERATION_REQUESTED: "A generation was accepted. Consumed by the generation "
    "workers through the shared durable consumer `generation-workers`; other services may "
    "follow it with their own durable consumer.",
    subjects.GENERATION_COMPLETED: "Every output listed is registered as an asset and served "
    "(content and thumbnail answer 200) before this event is published.",
    subjects.GENERATION_FAILED: "Final: the generation will not run again unless retried "
    "by its owner, which creates a new generation.",
    subjects.GENERATION_CANCELLED: "Final: the owner cancelled it; nothing more is billed.",
    subjects.GENERATION_DELETED: "Published after the record is gone: the generation is no "
    "longer listed. A deletion of a whole project publishes `project.deleted` instead.",
    subjects.ASSET_CREATED: "Published after the asset's record and object exist.",
    subjects.ASSET_UPDATED: "Its owner renamed it, tagged it or changed its favorite mark; "
    "published after the record is changed, on a best-effort basis (a change made while the "
    "broker is away is stored but not announced).",
}

_HEADERS = {
    "type": "object",
    "properties": {
        "Nats-Msg-Id": {
            "type": "string",
            "description": "The event's `event_id`: JetStream drops a second publish of the "
            "same id within the stream's duplicate window, and consumers may use it to skip "
            "a redelivered event.",
        },
        "traceparent": {
            "type": "string",
            "description": "W3C trace context of the request that caused the event, when "
            "tracing is on.",
        },
    },
}


def _name(model: type[events.Event]) -> str:
    return model.__name__


def document() -> dict[str, Any]:
    """The AsyncAPI 3.0 document: one channel and one `send` operation per subject."""
    schemas: dict[str, Any] = {}
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for model, publisher in PUBLISHED:
        name = _name(model)
        schema = model.model_json_schema(
            ref_template="#/components/schemas/{model}", mode="serialization"
        )
        schemas.update(schema.pop("$defs", {}))
        schemas[name] = schema
        channel = model.subject.replace(".", "-")
        messages[name] = {
            "name": name,
            "title": name,
            "contentType": "application/json",
            "headers": _HEADERS,
            "payload": {"$ref": f"#/components/schemas/{name}"},
        }
        channels[channel] = {
            "address": model.subject,
            "description": _GUARANTEES.get(
                model.subject, (model.__doc__ or name).strip().splitlines()[0]
            ),
            "messages": {name: {"$ref": f"#/components/messages/{name}"}},
            "x-stream": _stream_of(model.subject),
        }
        operations[f"publish{name}"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{channel}"},
            "summary": f"Published by the {publisher} service.",
            "messages": [{"$ref": f"#/channels/{channel}/messages/{name}"}],
        }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "AI Studio events",
            "version": EVENTS_VERSION,
            "description": (
                "Events of AI Studio on NATS JetStream. Every subject may carry an "
                "installation prefix (`{prefix}.generation.completed`). Delivery is at least "
                "once: use a durable pull consumer with explicit acks and skip an `event_id` "
                "you have already handled. Within a major version only additive changes are "
                "made."
            ),
        },
        "defaultContentType": "application/json",
        "servers": {
            "nats": {
                "host": "localhost:4222",
                "protocol": "nats",
                "description": "The installation's NATS server (JetStream enabled).",
            }
        },
        "channels": channels,
        "operations": operations,
        "components": {"schemas": schemas, "messages": messages},
    }


def _stream_of(subject: str) -> str:
    for stream in subjects.STREAMS:
        if any(subject.startswith(pattern.removesuffix(">")) for pattern in stream.subjects):
            return stream.name
    raise LookupError(f"no stream holds {subject}")


def compatibility_problems(frozen: dict[str, Any], current: dict[str, Any]) -> list[str]:
    """What in `current` breaks a consumer written against `frozen` (empty: additive only)."""
    old_schemas = frozen["components"]["schemas"]
    new_schemas = current["components"]["schemas"]
    problems = [
        f"channel {name} ({spec['address']}) is gone"
        for name, spec in frozen["channels"].items()
        if name not in current["channels"]
        or current["channels"][name]["address"] != spec["address"]
    ]
    for name, old in old_schemas.items():
        new = new_schemas.get(name)
        if new is None:
            problems.append(f"schema {name} is gone")
            continue
        old_props, new_props = old.get("properties", {}), new.get("properties", {})
        for field, old_field in old_props.items():
            if field not in new_props:
                problems.append(f"{name}.{field} is gone")
            elif _shape(old_field) != _shape(new_props[field]):
                problems.append(f"{name}.{field} changed type")
        for field in set(old.get("required", [])) - set(new.get("required", [])):
            if field in new_props:
                problems.append(f"{name}.{field} is no longer always present")
        if old.get("enum") and set(old["enum"]) - set(new.get("enum", [])):
            problems.append(f"{name} lost enum values")
    return problems


def _shape(field: dict[str, Any]) -> Any:
    """The part of a property's schema a consumer depends on (not its title or description)."""
    ignored = {"title", "description", "default", "examples"}
    if isinstance(field, dict):
        return {k: _shape(v) for k, v in field.items() if k not in ignored}
    if isinstance(field, list):
        return [_shape(v) for v in field]
    return field


def major(version: str) -> str:
    return version.split(".", 1)[0]


def _write(path: Path, doc: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n")


def main(argv: list[str]) -> int:
    doc = document()
    docs = Path.cwd() / "docs"
    if "--write" in argv or "--freeze" in argv:
        _write(docs / "asyncapi.json", doc)
        if "--freeze" in argv:
            _write(docs / "events" / f"v{major(EVENTS_VERSION)}.json", doc)
        return 0
    print(json.dumps(doc, indent=2, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
