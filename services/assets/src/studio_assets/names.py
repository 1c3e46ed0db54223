"""Names of files as people see them in the gallery and get them on download: generated files
from their prompt ("a-lighthouse-at-dusk-1.png"), not from the generation's id; a download always
with an extension its content's type opens with."""

import re
import unicodedata

from studio_assets.media import BY_CONTENT_TYPE

MAX_STEM = 60
"""Characters of the prompt kept in a name, cut at a word: enough to tell files apart."""
_SEPARATORS = re.compile(r"[\W_]+")
_OTHER_EXTENSIONS = {
    "image/jpeg": ("jpeg", "jpe", "jfif"),
    "video/mp4": ("m4v",),
    "video/quicktime": ("qt",),
    "audio/wav": ("wave",),
    "audio/ogg": ("oga", "opus"),
}
"""Extensions besides the one `media.py` gives a type that also mean it (a file named
"photo.jpeg" keeps its name)."""


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


def download_name(name: str, content_type: str) -> str:
    """`name` as a downloaded file is called: with its type's extension added when it does not
    already end with one ("My hero shot" renamed in the gallery downloads as "My hero shot.webp"),
    so the file opens in the program it should, whatever the asset was named or renamed."""
    known = BY_CONTENT_TYPE.get(content_type)
    if known is None:
        return name
    extensions = (known.extension, *_OTHER_EXTENSIONS.get(content_type, ()))
    stem, dot, extension = name.rpartition(".")
    if dot and stem and extension.lower() in extensions:
        return name
    return f"{name}.{known.extension}"
