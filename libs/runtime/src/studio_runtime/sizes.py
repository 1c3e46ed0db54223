"""Sizes in messages people read: "50 MiB", not "52,428,800-byte". Binary multiples, named as
such (KiB, MiB, …): the limits they state are powers of 1024, and the README and docs give
them that way (`STUDIO_UPLOAD_MAX_BYTES`, 50 MiB); "50 MB" beside "50 MiB" reads as two limits."""

_UNITS = ("KiB", "MiB", "GiB", "TiB")


def readable_size(size: int) -> str:
    """1536 → "1.5 KiB", 52428800 → "50 MiB": one decimal below 10, none above."""
    if size < 1024:
        return f"{size} B"
    value = size / 1024
    unit = 0
    while value >= 1024 and unit < len(_UNITS) - 1:
        value /= 1024
        unit += 1
    return f"{value:.1f} {_UNITS[unit]}" if value < 10 else f"{value:.0f} {_UNITS[unit]}"
