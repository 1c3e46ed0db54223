"""`studio models` (the catalog, filtered) and `studio model ID` (one model's parameters)."""

from typing import Annotated, Any

import typer
from rich.text import Text
from studio_contracts.enums import GenerationType, Quality

from studio_cli.client import API, model_path
from studio_cli.output import print_json, print_table, print_text, stdout
from studio_cli.session import JsonFlag, open_client

PAGE = 200
"""The catalog's largest page: a handful of requests cover it all."""


def list_models(
    ctx: typer.Context,
    type: Annotated[
        GenerationType | None, typer.Option("--type", "-t", help="Only models doing this.")
    ] = None,
    provider: Annotated[
        str | None,
        typer.Option(
            metavar="PROVIDER", help="Only this provider group (e.g. local, black-forest-labs)."
        ),
    ] = None,
    available: Annotated[
        bool | None,
        typer.Option(
            "--available/--unavailable",
            help="Only models this server can run (or only those it cannot: no fal.ai key).",
        ),
    ] = None,
    quality: Annotated[Quality | None, typer.Option(help="Only this quality badge.")] = None,
    search: Annotated[
        str | None,
        typer.Option(
            "--search",
            "-s",
            metavar="WORDS",
            help="Words that must each appear (any case) in the id, name, provider or description.",
        ),
    ] = None,
    json: JsonFlag = False,
) -> None:
    """List the models of the catalog."""
    query: dict[str, Any] = {
        "type": type,
        "provider": provider,
        "available": available,
        "quality": quality,
        "q": search,
        "limit": PAGE,
    }
    models: list[dict[str, Any]] = []
    with open_client(ctx) as client:
        while True:
            page = client.get(f"{API}/models", {**query, "offset": len(models)})
            models.extend(page["items"])
            if not page["items"] or len(models) >= page["total"]:
                break
    if json:
        print_json(models)
        return
    print_table(
        None,
        ["id", "name", "types", "output", "provider", "available", "price"],
        (
            [
                m["id"],
                m["name"],
                ", ".join(m["types"]),
                m["output"],
                m["provider"]["id"],
                "yes" if m.get("available", True) else "no (needs a fal.ai key)",
                m["price"],
            ]
            for m in models
        ),
        empty="No models match.",
        whole=("id", "provider"),
    )


def show_model(
    ctx: typer.Context,
    model_id: Annotated[
        str, typer.Argument(metavar="MODEL_ID", help="e.g. local/image or fal-ai/flux/dev")
    ],
    json: JsonFlag = False,
) -> None:
    """Show one model and the parameters it takes (for `studio generate --param`)."""
    with open_client(ctx) as client:
        model: dict[str, Any] = client.get(model_path(model_id))
    if json:
        print_json(model)
        return
    stdout.print(Text.assemble((model["name"], "bold"), f" ({model['id']})"))
    print_text(model["description"])
    print_text(
        f"types: {', '.join(model['types'])}; output: {model['output']}; "
        f"available: {'yes' if model.get('available', True) else 'no'}"
    )
    print_table(
        "parameters",
        ["name", "type", "required", "default", "allowed", "description"],
        (
            [
                name,
                spec["type"],
                "yes" if spec.get("required") else "",
                spec.get("default"),
                _allowed(spec),
                spec.get("description", ""),
            ]
            for name, spec in model["params"].items()
        ),
        empty="This model takes no parameters.",
        whole=("name",),
    )


def _allowed(spec: dict[str, Any]) -> str:
    if spec.get("enum"):
        return ", ".join(str(v) for v in spec["enum"])
    low, high = spec.get("minimum"), spec.get("maximum")
    if low is None and high is None:
        return ""
    return f"{_number(low)}..{_number(high)}"


def _number(value: float | None) -> str:
    """A bound as written in the schema: whole numbers exactly (a seed's 4294967295, not
    `:g`'s 4.29497e+09), others as Python spells them (0.5, 1e-06)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
