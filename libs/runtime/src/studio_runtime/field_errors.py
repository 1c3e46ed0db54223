"""Pydantic's validation errors as the `errors` of a problem body, in words a person reads.

Pydantic's own messages ("String should have at most 120 characters", "Input should be a valid
integer, unable to parse string as an integer") are written for the programmer; the studio shows
a field's `msg` beside the field, so every service words them here, once: short capitalised
sentences that keep pydantic's numbers and the allowed values, and nothing of its internals.
"""

import re
from collections.abc import Callable, Mapping
from typing import Any

from studio_contracts.problems import FieldError

_Ctx = Mapping[str, Any]


def _count(n: Any, thing: str) -> str:
    return f"{n} {thing}" if n == 1 else f"{n} {thing}s"


def _too_short(ctx: _Ctx) -> str:
    # An empty required text reads as missing to a person, not as "at least 1 character".
    low = ctx.get("min_length")
    return "Required." if low == 1 else f"At least {_count(low, 'character')}."


def _choices(ctx: _Ctx) -> str:
    # Pydantic gives the choices as one string, `'a', 'b' or 'c'`: the values are in quotes.
    expected = str(ctx.get("expected", ""))
    values = re.findall(r"'([^']*)'", expected) or [expected]
    return f"Must be one of: {', '.join(values)}."


_WORDING: dict[str, Callable[[_Ctx], str]] = {
    "missing": lambda _: "Required.",
    "string_too_short": _too_short,
    "string_too_long": lambda c: f"At most {_count(c.get('max_length'), 'character')}.",
    "too_short": lambda c: f"At least {_count(c.get('min_length'), 'item')}.",
    "too_long": lambda c: f"At most {_count(c.get('max_length'), 'item')}.",
    "greater_than_equal": lambda c: f"At least {c.get('ge')}.",
    "less_than_equal": lambda c: f"At most {c.get('le')}.",
    "greater_than": lambda c: f"More than {c.get('gt')}.",
    "less_than": lambda c: f"Less than {c.get('lt')}.",
    "int_parsing": lambda _: "Must be a whole number.",
    "int_type": lambda _: "Must be a whole number.",
    "int_from_float": lambda _: "Must be a whole number.",
    "float_parsing": lambda _: "Must be a number.",
    "float_type": lambda _: "Must be a number.",
    "finite_number": lambda _: "Must be a number.",
    "bool_parsing": lambda _: "Must be true or false.",
    "bool_type": lambda _: "Must be true or false.",
    "string_type": lambda _: "Must be text.",
    # A lone surrogate (`"\ud800"` in JSON) parses, but is no character of any text.
    "string_unicode": lambda _: "Must be valid Unicode text.",
    "string_pattern_mismatch": lambda _: "Not in the expected form.",
    "enum": _choices,
    "literal_error": _choices,
    "extra_forbidden": lambda _: "Not a field this accepts.",
    "model_attributes_type": lambda _: "Must be an object.",
    "dict_type": lambda _: "Must be an object.",
    "list_type": lambda _: "Must be a list.",
    "url_parsing": lambda _: "Must be a URL.",
    "url_type": lambda _: "Must be a URL.",
    "uuid_parsing": lambda _: "Must be a UUID.",
    "datetime_parsing": lambda _: "Must be a date and time.",
    "datetime_from_date_parsing": lambda _: "Must be a date and time.",
}


def field_error(err: Mapping[str, Any]) -> FieldError:
    """One entry of pydantic's `errors()`, with its `loc` and `type` kept and `msg` reworded."""
    loc, msg, kind = list(err.get("loc", ())), str(err.get("msg", "")), str(err.get("type", ""))
    ctx: _Ctx = err.get("ctx") or {}
    if kind == "json_invalid" and loc[:1] == ["body"]:
        # FastAPI puts the character position where a field name belongs: `body.8`.
        reason = ctx.get("error") or "not valid JSON"
        at = f" at character {loc[1]}" if len(loc) > 1 and isinstance(loc[1], int) else ""
        loc, msg = ["body"], f"The body is not valid JSON: {reason}{at}."
    elif kind == "value_error":
        # Our validators' own sentences, shown at the field as written: pydantic's "Value
        # error, " before them read as a fault of the studio on the sign-up form.
        msg = msg.removeprefix("Value error, ")
    elif kind in _WORDING:
        msg = _WORDING[kind](ctx)
    return FieldError(loc=loc, msg=msg, type=kind)
