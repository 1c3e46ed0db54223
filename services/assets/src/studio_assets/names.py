"""Names of files as people see them in the gallery and get them on download: generated files
from their prompt ("a-lighthouse-at-dusk-1.png"), not from the generation's id; uploads from
their file's name, cleaned to what a rename may set; a download always with an extension its
content's type opens with."""

import re
import unicodedata

from studio_contracts.text import BIDI_CONTROLS

from studio_assets.media import BY_CONTENT_TYPE

MAX_NAME = 255
"""The longest name a rename may set (`AssetUpdate.name`)."""
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


def output_name(
    prompt: str | None, generation_id: str, index: int, extension: str, made_from: str = ""
) -> str:
    """`{prompt's first words}-{n}.{ext}`, n counting outputs from 1. A prompt with no words (none,
    or only punctuation) gives way to what the generation was made from ("cat-birefnet-1.png"),
    and failing that to the generation's id. Either way cleaned alike: only words, lower case."""
    words = _words(prompt) or _words(made_from)
    stem = words[0][:MAX_STEM] if words else generation_id
    for word in words[1:]:
        if len(stem) + 1 + len(word) > MAX_STEM:
            break
        stem = f"{stem}-{word}"
    return f"{stem}-{index + 1}.{extension}"


def _words(text: str | None) -> list[str]:
    return _SEPARATORS.sub(" ", unicodedata.normalize("NFKC", text or "")).lower().split()


def upload_name(filename: str) -> str | None:
    """An uploaded file's name as it is stored: without the control and text-direction
    characters a rename refuses (`studio_contracts.text.single_line`), trimmed, its last
    `MAX_NAME` characters (the extension is at the end); None when nothing is left.

    Cleaned rather than refused: the file's name comes from the sender's system, and an odd
    one is no reason to turn the file away, but a stored name must be one a rename accepts."""
    kept = "".join(
        char
        for char in filename
        if unicodedata.category(char) != "Cc" and char not in BIDI_CONTROLS
    )
    return kept.strip()[-MAX_NAME:].strip() or None


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
