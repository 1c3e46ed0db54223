"""Checks a generation's parameters against a model's input schema and fills in defaults.

The result is exactly what the worker sends to the provider, so the stored generation records the
parameters really used. Every problem is reported at once, one error per field. Pure logic: the
catalog serves it over HTTP, and the generation API runs it on cached model data so accepting a
request needs no call to the catalog.

An error's `msg` is shown beside its field in the studio, among the API's other field errors
(`studio_runtime.field_errors`), so it is worded as they are: a short capitalised sentence with a
full stop, in the same words for the same meaning ("Required.", "At most 4.", "Must be a whole
number.", "Must be one of: a, b.").
"""

import math
from typing import Any

from studio_contracts.catalog import (
    DEFAULT_STRING_PARAM_MAX,
    ModelInfo,
    ParamSpec,
    ValidateParamsResponse,
)
from studio_contracts.enums import GenerationType
from studio_contracts.problems import FieldError, summarise
from studio_contracts.text import long_text

PROVIDER_NOT_CONFIGURED = "provider_not_configured"
NEEDS_FAL_KEY = (
    "Hosted models need a fal.ai key on this server: set FAL_KEY (or STUDIO_FAL_KEY) in the "
    "environment of `make run` (or of the catalog and worker services) and restart it; offline "
    "models (local/…) work without one."
)


REQUIRED = "Required."

_TYPE_WORDS = {
    "string": "Must be text.",
    "integer": "Must be a whole number.",
    "number": "Must be a number.",
    "boolean": "Must be true or false.",
}
"""A value of the wrong type, in the words the API's other fields use."""


class ParamsInvalid(ValueError):
    """The parameters do not fit the model; `errors` has one entry per bad field."""

    def __init__(self, summary: str, errors: list[FieldError]) -> None:
        super().__init__(summary)
        self.summary = summary
        self.errors = errors


def validate_params(
    model: ModelInfo, generation_type: GenerationType, params: dict[str, Any]
) -> ValidateParamsResponse:
    params, as_prompt = _prompt_to_its_param(model, _without_blank_prompt(params))
    try:
        return _validate(model, generation_type, params)
    except ParamsInvalid as exc:
        if as_prompt is None:
            raise
        errors = [_as_prompt_error(error, as_prompt) for error in exc.errors]
        raise ParamsInvalid(_summary(errors), errors) from None


def _without_blank_prompt(params: dict[str, Any]) -> dict[str, Any]:
    """`params` without a prompt of only whitespace: it says nothing to a model, so it reads as
    missing (`Required.` for a model that needs one), as an empty prompt does."""
    prompt = params.get("prompt")
    if isinstance(prompt, str) and not prompt.strip():
        return {name: value for name, value in params.items() if name != "prompt"}
    return params


def _prompt_to_its_param(
    model: ModelInfo, params: dict[str, Any]
) -> tuple[dict[str, Any], str | None]:
    """For a model whose prompt is another parameter (`prompt_param`): the prompt moved there,
    and that parameter's name, so its errors are reported at the prompt the caller wrote. A
    caller who sets the parameter itself keeps it, and its errors."""
    name = model.prompt_param
    if name is None or name in params:
        return params, None
    moved = {key: value for key, value in params.items() if key != "prompt"}
    if "prompt" in params:
        moved[name] = params["prompt"]
    return moved, name


def _as_prompt_error(error: FieldError, name: str) -> FieldError:
    if error.loc != ["body", "params", name]:
        return error
    return FieldError(loc=["body", "params", "prompt"], msg=error.msg, type=error.type)


def _validate(
    model: ModelInfo, generation_type: GenerationType, params: dict[str, Any]
) -> ValidateParamsResponse:
    errors: list[FieldError] = []
    if not model.available:
        # Refused here, at once, rather than accepted and failed by the worker minutes later.
        errors.append(_error(["body", "model_id"], NEEDS_FAL_KEY, PROVIDER_NOT_CONFIGURED))
    if generation_type not in model.types:
        supported = ", ".join(model.types)
        # Two sentences, not a `;`: the summary joins the errors with `; `, and a reader of it
        # (the CLI) takes each part for one error.
        errors.append(
            _error(
                ["body", "type"],
                f"{model.name} does not do {generation_type}. It does: {supported}.",
                "unsupported_type",
            )
        )
    normalised: dict[str, Any] = {}
    for name, value in params.items():
        spec = model.params.get(name)
        loc: list[str | int] = ["body", "params", name]
        if spec is None:
            errors.append(
                _error(loc, f"{model.name} has no parameter {name!r}.", "unknown_parameter")
            )
        elif spec.is_media:
            errors.append(_error(loc, "A file input: attach an asset instead.", "media_parameter"))
        elif value is None:
            if spec.required:
                errors.append(_error(loc, REQUIRED, "missing"))
        else:
            problem = value_problem(spec, value)
            if problem:
                errors.append(_error(loc, problem[0], problem[1]))
            else:
                normalised[name] = value
    for name, spec in model.params.items():
        if name in normalised or spec.is_media:
            continue
        if spec.default is not None:
            normalised[name] = spec.default
        elif spec.required and name not in params:
            errors.append(_error(["body", "params", name], REQUIRED, "missing"))
    if errors:
        raise ParamsInvalid(_summary(errors), errors)
    return ValidateParamsResponse(
        model_id=model.id,
        type=generation_type,
        runtime=model.runtime,
        output=model.output,
        params=normalised,
        media_params={name: spec for name, spec in model.params.items() if spec.is_media},
        accepted=[name for name, spec in model.params.items() if not spec.is_media],
        seed_range=_seed_range(model.params.get("seed")),
    )


MAX_SEED = 2**31 - 1
"""The largest seed drawn for a model that states no maximum (a signed 32-bit integer, which
every provider takes)."""


def _seed_range(spec: ParamSpec | None) -> tuple[int, int] | None:
    if spec is None or spec.is_media or spec.type != "integer":
        return None
    # A negative minimum means "random" to some providers (-1): draw a real seed instead.
    lowest = max(0, math.ceil(spec.minimum)) if spec.minimum is not None else 0
    highest = min(MAX_SEED, math.floor(spec.maximum)) if spec.maximum is not None else MAX_SEED
    return (lowest, highest) if lowest <= highest else None


def value_problem(spec: ParamSpec, value: Any) -> tuple[str, str] | None:
    """(message, code) when `value` does not fit `spec`, else None."""
    if spec.type == "image_size" and not isinstance(value, str):
        return _custom_size_problem(spec, value)
    if not _has_type(spec, value):
        return _TYPE_WORDS.get(spec.type, f"Must be of type {spec.type}."), f"{spec.type}_type"
    if spec.enum is not None and value not in spec.enum:
        options = ", ".join(str(option) for option in spec.enum)
        return f"Must be one of: {options}.", "enum"
    if spec.type == "string":
        longest = spec.max_length or DEFAULT_STRING_PARAM_MAX
        if len(value) > longest:
            return f"At most {_count(longest, 'character')}.", "string_too_long"
        try:
            long_text(value)
        except ValueError as exc:
            return _sentence(str(exc)), "control_character"
    if spec.type in ("integer", "number"):
        if isinstance(value, float) and not math.isfinite(value):
            # NaN passes both bounds below (every comparison with it is false).
            return "Must be a number.", "finite_number"
        if spec.minimum is not None and value < spec.minimum:
            return f"At least {_number(spec.minimum)}.", "out_of_range"
        if spec.maximum is not None and value > spec.maximum:
            return f"At most {_number(spec.maximum)}.", "out_of_range"
    return None


def _number(bound: float) -> str:
    """A bound as people write it: 4294967295, not 4.29497e+09; 7.5 stays 7.5."""
    return str(int(bound)) if float(bound).is_integer() else f"{bound:g}"


def _count(n: int, thing: str) -> str:
    return f"{n} {thing}" if n == 1 else f"{n} {thing}s"


def _sentence(text: str) -> str:
    """`text` as a sentence: a shared check's lowercase clause, shown among sentences."""
    text = text[:1].upper() + text[1:]
    return text if text.endswith(".") else f"{text}."


def _custom_size_problem(spec: ParamSpec, value: Any) -> tuple[str, str] | None:
    low, high = int(spec.minimum or 1), int(spec.maximum or 16384)
    if not isinstance(value, dict) or set(value) != {"width", "height"}:
        shape = f"a size name or {{width, height}} in pixels, each {low}-{high}"
        return f"Must be {shape}.", "image_size_type"
    for side in ("width", "height"):
        pixels = value[side]
        if isinstance(pixels, bool) or not isinstance(pixels, int):
            return f"{side.capitalize()} must be a whole number of pixels.", "image_size_type"
        if not low <= pixels <= high:
            return f"{side.capitalize()} must be {low}-{high} pixels.", "out_of_range"
    return None


def _has_type(spec: ParamSpec, value: Any) -> bool:
    if spec.type in ("string", "image_size"):
        return isinstance(value, str)
    if spec.type == "boolean":
        return isinstance(value, bool)
    if isinstance(value, bool):
        return False
    if spec.type == "integer":
        return isinstance(value, int)
    return isinstance(value, int | float)


def _error(loc: list[str | int], msg: str, type_: str) -> FieldError:
    return FieldError(loc=loc, msg=msg, type=type_)


def _summary(errors: list[FieldError]) -> str:
    parts = [f"{'.'.join(str(p) for p in e.loc[1:])}: {e.msg}" for e in errors[:5]]
    more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
    return summarise(parts) + more
