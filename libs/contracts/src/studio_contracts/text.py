"""What text people may store: names stay on one line and read in the order they were typed;
longer text (descriptions, prompts) keeps its line breaks and tabs.

Control characters (NUL, escapes, line breaks in a name) break lists, file names and terminals,
and the bidi controls that reorder text around them disguise what a name says. Right-to-left
writing needs none of the refused characters in a name; longer text keeps the left-to-right and
right-to-left marks, which such writing does use."""

import unicodedata

from pydantic import AfterValidator

BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
"""Characters that reorder the text around them."""
_BIDI_OVERRIDES = BIDI_CONTROLS - {"\u061c", "\u200e", "\u200f"}
"""The embeddings, overrides and isolates: the marks alone cannot reorder what follows them."""
_LONG_TEXT_CONTROLS = frozenset("\n\r\t")


def single_line(value: str) -> str:
    """Refuse control characters (NUL, escapes, line breaks, tabs) and bidi controls."""
    for char in value:
        if unicodedata.category(char) == "Cc" or char in BIDI_CONTROLS:
            raise ValueError(
                f"Control and text-direction characters are not allowed ({_name(char)})."
            )
    return value


def long_text(value: str) -> str:
    """Refuse control characters other than line breaks and tabs, and bidi overrides."""
    for char in value:
        if (
            unicodedata.category(char) == "Cc" and char not in _LONG_TEXT_CONTROLS
        ) or char in _BIDI_OVERRIDES:
            raise ValueError(
                f"Control and text-direction characters are not allowed ({_name(char)})."
            )
    return value


def _name(char: str) -> str:
    return unicodedata.name(char, f"U+{ord(char):04X}")


SingleLine = AfterValidator(single_line)
"""For a name: `Annotated[str, …, SingleLine]`."""
LongText = AfterValidator(long_text)
"""For a description or a prompt."""
