"""Names of generated files as people see them in the gallery and get them on download: from the
prompt ("a-lighthouse-at-dusk-1.png"), not from the generation's id."""

import re
import unicodedata

MAX_STEM = 60
"""Characters of the prompt kept in a name, cut at a word: enough to tell files apart."""
_SEPARATORS = re.compile(r"[\W_]+")


def output_name(prompt: str | None, generation_id: str, index: int, extension: str) -> str:
    """`{prompt's first words}-{n}.{ext}`, n counting outputs from 1; the generation's id stands in
    for a prompt with no words (none, or only punctuation)."""
    words = _SEPARATORS.sub(" ", unicodedata.normalize("NFKC", prompt or "")).lower().split()
    stem = words[0][:MAX_STEM] if words else generation_id
    for word in words[1:]:
        if len(stem) + 1 + len(word) > MAX_STEM:
            break
        stem = f"{stem}-{word}"
    return f"{stem}-{index + 1}.{extension}"
