"""Sizes in messages people read: "50 MB", as the studio writes them (binary multiples, the
unit names people know), not "52,428,800-byte"."""

_UNITS = ("KB", "MB", "GB", "TB")


def readable_size(size: int) -> str:
    """1536 → "1.5 KB", 52428800 → "50 MB": one decimal below 10, none above."""
    if size < 1024:
        return f"{size} B"
    value = size / 1024
    unit = 0
    while value >= 1024 and unit < len(_UNITS) - 1:
        value /= 1024
        unit += 1
    return f"{value:.1f} {_UNITS[unit]}" if value < 10 else f"{value:.0f} {_UNITS[unit]}"
