"""`parse_range`: the HTTP Range header of an asset download, as RFC 9110 reads it."""

import pytest
from studio_assets.downloads import ByteRange, RangeNotSatisfiable, parse_range


@pytest.mark.parametrize("header", [None, ""])
def test_no_header_means_the_whole_file(header: str | None) -> None:
    assert parse_range(header, 100) is None


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("bytes=0-0", ByteRange(0, 0)),
        ("bytes=0-99", ByteRange(0, 99)),
        ("bytes=10-19", ByteRange(10, 19)),
        ("bytes=10-", ByteRange(10, 99)),  # open-ended: to the last byte
        ("bytes=90-1000", ByteRange(90, 99)),  # an end past the file is clipped
        ("bytes=-10", ByteRange(90, 99)),  # suffix: the last 10 bytes
        ("bytes=-1000", ByteRange(0, 99)),  # a suffix longer than the file is all of it
        (" bytes=5-6 ", ByteRange(5, 6)),
    ],
)
def test_single_ranges(header: str, expected: ByteRange) -> None:
    assert parse_range(header, 100) == expected


def test_length_counts_both_ends() -> None:
    assert ByteRange(10, 19).length == 10
    assert ByteRange(0, 0).length == 1


def test_several_ranges_are_answered_with_the_whole_file() -> None:
    assert parse_range("bytes=0-1,5-6", 100) is None


@pytest.mark.parametrize(
    "header",
    ["bytes=abc", "bytes=20-10", "bytes=-", "items=0-5", "bytes=1-2-3", "bytes 0-5"],
)
def test_a_header_that_is_no_valid_range_is_ignored(header: str) -> None:
    """RFC 9110 14.2: the whole file, 200, rather than a 416 that says the range is outside."""
    assert parse_range(header, 100) is None


@pytest.mark.parametrize(
    "header",
    [
        "bytes=100-",  # starts at the end
        "bytes=100-200",
        "bytes=-0",  # the last zero bytes
    ],
)
def test_unsatisfiable_ranges_raise(header: str) -> None:
    with pytest.raises(RangeNotSatisfiable):
        parse_range(header, 100)


def test_an_empty_file_satisfies_no_range() -> None:
    with pytest.raises(RangeNotSatisfiable):
        parse_range("bytes=0-", 0)
