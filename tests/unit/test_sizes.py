"""Sizes in messages are written as the studio shows them."""

import pytest
from studio_runtime.sizes import readable_size


@pytest.mark.parametrize(
    ("size", "shown"),
    [
        (0, "0 B"),
        (1023, "1023 B"),
        (1024, "1.0 KiB"),
        (1536, "1.5 KiB"),
        (300 * 1024, "300 KiB"),
        (50 * 1024 * 1024, "50 MiB"),
        (20 * 1024**3, "20 GiB"),
        (5 * 1024**5, "5120 TiB"),
    ],
)
def test_sizes_read_as_people_write_them(size: int, shown: str) -> None:
    assert readable_size(size) == shown
