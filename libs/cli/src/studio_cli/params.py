"""`--param key=value` pairs, typed by the model's parameter schema from the catalog.

Only the type comes from here: ranges, enums and required parameters are the API's to check,
so its 422 names every bad field the same way it does for the web studio.
"""

import json
import math
import re
from typing import Any

from studio_contracts.catalog import MEDIA_PARAM_TYPES

from studio_cli.errors import CliError, ExitCode

_TRUE = frozenset({"true", "yes", "on", "1"})
_FALSE = frozenset({"false", "no", "off", "0"})
_SIZE = re.compile(r"^\s*(\d+)\s*[xX]\s*(\d+)\s*$")
_SIZE_NAME = re.compile(r"^[A-Za-z]+(_[A-Za-z0-9]+)*$")
"""What a size name looks like (`square_hd`, `landscape_16_9`): which names a model takes is
the API's to check, as for any enum; `12x` or `768*512` is no name but a mistyped size."""


def parse_params(pairs: list[str], schema: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """`{name: value}` from `name=value` pairs; `schema` is the model's `params`."""
    params: dict[str, Any] = {}
    for pair in pairs:
        name, separator, raw = pair.partition("=")
        name = name.strip()
        if not separator or not name:
            raise _usage(f"--param {pair!r}: expected NAME=VALUE")
        params[name] = typed_value(name, raw, schema.get(name))
    return params


def typed_value(name: str, raw: str, spec: dict[str, Any] | None) -> Any:
    """`raw` as the JSON value the parameter takes."""
    if spec is None:
        # Unknown to the schema: sent as JSON if it reads as JSON, so the API's answer
        # ("has no parameter ...") is about the name, not the type.
        return _json_or_text(raw)
    kind = spec.get("type")
    if kind in MEDIA_PARAM_TYPES:
        raise _usage(f"--param {name}: a file input; attach the file with --ref FILE instead")
    if kind == "integer":
        if (whole := _whole_number(raw)) is None:
            raise _usage(f"--param {name}: {raw!r} is not a whole number")
        return whole
    if kind == "number":
        if (number := _number(raw)) is None:
            raise _usage(f"--param {name}: {raw!r} is not a finite number")
        return number
    if kind == "boolean":
        lowered = raw.strip().lower()
        if lowered in _TRUE | _FALSE:
            return lowered in _TRUE
        raise _usage(f"--param {name}: {raw!r} is not true or false")
    if kind == "image_size":
        return _image_size(name, raw, spec)
    return raw


def _whole_number(raw: str) -> int | None:
    # `int()` also reads Python's `1_000`, which JSON (and so the API) would not.
    if "_" in raw:
        return None
    try:
        return int(raw)
    except ValueError:
        return None


def _number(raw: str) -> int | float | None:
    """`raw` as a JSON number: whole numbers stay ints; `nan`, `inf` and what overflows a float
    (`1e400`) are none, as JSON has no such numbers (the request could not even be sent)."""
    if (whole := _whole_number(raw)) is not None:
        return whole
    if "_" in raw:
        return None
    try:
        number = float(raw)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _image_size(name: str, raw: str, spec: dict[str, Any]) -> Any:
    """A size name (`square_hd`), `WIDTHxHEIGHT` (`768x512`) or a JSON object
    (`{"width": 768, "height": 512}`); anything else is a usage error naming those forms."""
    if size := _SIZE.match(raw):
        return {"width": int(size[1]), "height": int(size[2])}
    if _SIZE_NAME.match(raw.strip()):
        return raw.strip()
    if raw.lstrip().startswith("{"):
        value = _json_or_text(raw)
        if isinstance(value, dict):
            return value
    names = ", ".join(str(option) for option in spec.get("enum") or []) or "e.g. square_hd"
    raise _usage(
        f"--param {name}: {raw!r} is not a size: give WIDTHxHEIGHT in pixels (768x512) or a "
        f"size name ({names})"
    )


def _json_or_text(raw: str) -> Any:
    try:
        value = json.loads(raw)
        # Python's reader takes `NaN`, `Infinity` and `1e400` (as inf), which no JSON holds:
        # sent as text, they get the API's word on the value, not a crash here.
        json.dumps(value, allow_nan=False)
    except ValueError:
        return raw
    return value


def _usage(message: str) -> CliError:
    return CliError(message, ExitCode.USAGE)
