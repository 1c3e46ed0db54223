"""Offline media renderers behind the `local` provider.

Each module makes one kind of file with Pillow (pictures) or PyAV's bundled FFmpeg (video), so
the studio can generate every type of media on a machine with no network and no key.
Everything is deterministic: the same inputs give the same bytes.
"""


class BadInput(ValueError):
    """The job's input cannot be rendered (an unreadable image, a parameter out of range).

    Rendering it again will not help, so the provider turns this into a permanent error.
    """
