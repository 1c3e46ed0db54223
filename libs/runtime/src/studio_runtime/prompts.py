"""A prompt of only whitespace is no prompt.

It says nothing to a model, so it reads as missing (`Required.` for a model that needs one), as
an empty prompt does: the generation API passes an empty one on as none at all. Both places
that check a generation's parameters against a model (the catalog's `validate` route and the
`CatalogClient` the generation service checks with) drop it before the check.
"""

from typing import Any


def without_blank_prompt(params: dict[str, Any]) -> dict[str, Any]:
    """`params`, without its `prompt` if that is text of only whitespace."""
    prompt = params.get("prompt")
    if isinstance(prompt, str) and not prompt.strip():
        return {name: value for name, value in params.items() if name != "prompt"}
    return params
