"""Binding a generation's input assets to the model's file parameters."""

from typing import Any

from studio_contracts.assets import Asset
from studio_contracts.catalog import ParamSpec
from studio_contracts.enums import GenerationType, MediaType
from studio_contracts.generation_types import GENERATION_TYPE_INFO
from studio_contracts.problems import FieldError

_PARAM_MEDIA = {
    "image": MediaType.IMAGE,
    "images": MediaType.IMAGE,
    "video": MediaType.VIDEO,
    "audio": MediaType.AUDIO,
}

# The file's slot shows this to a person (capitalised), so it says what to do.
_NOT_FOUND = "this file is no longer in your library; choose another"


def bind_inputs(
    generation_type: GenerationType,
    files: list[tuple[Asset | None, str | None]],
    media_params: dict[str, ParamSpec],
    *,
    field: str = "input_asset_ids",
) -> tuple[dict[str, Any], list[FieldError]]:
    """({param: asset id, or a list for `images`}, errors): each file (an asset, and the
    parameter the request names for it or none) bound in order, to the parameter named, else to
    the first free parameter of its media type; required parameters and the type's inputs
    checked. `field` is the request's field the files came in (for the errors' `loc`)."""
    bindings: dict[str, Any] = {}
    errors: list[FieldError] = []
    # A parameter a file names is kept for it, even from files before it.
    named = {param for _, param in files if param in media_params}
    for index, (asset, param) in enumerate(files):
        loc: list[str | int] = ["body", field, index]
        if asset is None:
            # Said to a person at the file's slot: it was deleted since it was chosen (or is
            # not theirs, which is answered the same so as not to tell them it exists).
            errors.append(FieldError(loc=loc, msg=_NOT_FOUND, type="not_found"))
            continue
        if param is not None:
            error = _unnameable(asset.media_type, param, media_params, bindings, [*loc, "param"])
            if error is not None:
                errors.append(error)
                continue
            name: str | None = param
        else:
            name = _free_param(asset.media_type, media_params, bindings, named)
        if name is None:
            errors.append(_unbindable(asset.media_type, media_params, loc))
        elif media_params[name].type == "images":
            bindings.setdefault(name, []).append(asset.id)
        else:
            bindings[name] = asset.id
    if not errors:
        errors.extend(_missing(generation_type, media_params, bindings, field))
    return bindings, errors


def _unnameable(
    media: MediaType,
    param: str,
    params: dict[str, ParamSpec],
    bindings: dict[str, Any],
    loc: list[str | int],
) -> FieldError | None:
    """Why a file cannot go to the parameter it names, or None when it can."""
    if param not in params:
        taken = ", ".join(sorted(params)) or "no files"
        return FieldError(
            loc=loc,
            msg=f"this model has no file input {param!r}; it takes {taken}",
            type="unknown_input",
        )
    wanted = _PARAM_MEDIA[params[param].type]
    if wanted != media:
        return FieldError(
            loc=loc,
            msg=f"{param!r} takes {_article(wanted.value)}, not {_article(media.value)}",
            type="wrong_media_type",
        )
    if params[param].type != "images" and param in bindings:
        return FieldError(
            loc=loc, msg=f"{param!r} takes one file; it is given twice", type="too_many_inputs"
        )
    return None


def _unbindable(media: MediaType, params: dict[str, ParamSpec], loc: list[str | int]) -> FieldError:
    """The error for a file no parameter is left for: one too many of a kind the model takes
    (its slots are full), or a kind it does not take at all."""
    slots = sum(1 for s in params.values() if _PARAM_MEDIA[s.type] == media)
    if slots:
        noun = media.value if slots == 1 else f"{media.value}s"
        return FieldError(
            loc=loc,
            msg=f"this model takes at most {slots} {noun}; remove the others",
            type="too_many_inputs",
        )
    accepted = sorted({_PARAM_MEDIA[s.type].value for s in params.values()}) or ["no files"]
    return FieldError(
        loc=loc,
        msg=f"{_article(media.value)} cannot be used here; this model takes {', '.join(accepted)}",
        type="wrong_media_type",
    )


def _article(noun: str) -> str:
    return f"an {noun}" if noun[0] in "aeiou" else f"a {noun}"


def _free_param(
    media: MediaType, params: dict[str, ParamSpec], bindings: dict[str, Any], named: set[str]
) -> str | None:
    candidates = [
        n
        for n, s in params.items()
        if _PARAM_MEDIA[s.type] == media and (s.type == "images" or n not in named)
    ]
    # Required parameters first, so an optional second image never takes the one that matters.
    candidates.sort(key=lambda n: not params[n].required)
    for name in candidates:
        if params[name].type == "images" or name not in bindings:
            return name
    return None


def _missing(
    generation_type: GenerationType,
    params: dict[str, ParamSpec],
    bindings: dict[str, Any],
    field: str,
) -> list[FieldError]:
    unbound = sorted(n for n, s in params.items() if s.required and n not in bindings)
    covered = {_PARAM_MEDIA[params[n].type] for n in [*bindings, *unbound]}
    errors = [
        FieldError(
            loc=["body", field],
            msg=f"this model needs an input {_PARAM_MEDIA[params[name].type].value} (for {name!r})",
            type="missing_input",
        )
        for name in unbound
    ]
    errors.extend(
        FieldError(
            loc=["body", field],
            msg=f"{generation_type.value} needs an input {media.value}",
            type="missing_input",
        )
        for media in GENERATION_TYPE_INFO[generation_type].inputs
        if media not in covered
    )
    return errors
