"""Writing and reading just enough of the MP4 (ISO BMFF) container for the local videos.

The writer makes a single-track, "fast start" file (moov before mdat, so a browser can play it
while it downloads) holding H.264 samples. The reader walks the boxes to find a video track's
size, duration, sample table and codec, which is all the video-to-video renderer needs.
"""

import struct
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

COMPRESSOR = b"studio-local pcm"
"""Written in the sample entry so our own files can be recognised (and decoded) again."""

MAX_SAMPLES = 100_000
"""Sample tables longer than this are refused rather than read into memory."""

_MATRIX = struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)
_CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"dinf", b"edts"}


class Mp4Error(ValueError):
    """Not an MP4 this module can read."""


@dataclass(frozen=True)
class VideoTrack:
    width: int
    height: int
    timescale: int
    duration: int
    """In `timescale` units."""
    codec: bytes
    """The sample entry's type: b"avc1", b"hvc1", b"mp4v", ..."""
    compressor: bytes
    avc_config: bytes | None
    samples: tuple[tuple[int, int], ...]
    """(offset, size) of each sample in the file."""

    @property
    def seconds(self) -> float:
        return self.duration / self.timescale if self.timescale else 0.0

    @property
    def fps(self) -> float:
        return len(self.samples) / self.seconds if self.seconds else 0.0


def box(kind: bytes, *payload: bytes) -> bytes:
    body = b"".join(payload)
    return struct.pack(">I", 8 + len(body)) + kind + body


def full_box(kind: bytes, version: int, flags: int, *payload: bytes) -> bytes:
    return box(kind, struct.pack(">I", (version << 24) | flags), *payload)


def avc1_entry(width: int, height: int, sps: bytes, pps: bytes) -> bytes:
    """The visual sample entry for H.264 with its decoder configuration (avcC)."""
    avcc = box(
        b"avcC",
        bytes((1, sps[1], sps[2], sps[3], 0xFF, 0xE1)),
        struct.pack(">H", len(sps)),
        sps,
        b"\x01",
        struct.pack(">H", len(pps)),
        pps,
    )
    compressor = bytes((len(COMPRESSOR),)) + COMPRESSOR.ljust(31, b"\x00")
    return box(
        b"avc1",
        b"\x00" * 6,
        struct.pack(">H", 1),  # data_reference_index
        b"\x00" * 16,
        struct.pack(">HHII", width, height, 0x00480000, 0x00480000),
        b"\x00" * 4,
        struct.pack(">H", 1),  # frame_count
        compressor,
        struct.pack(">Hh", 0x18, -1),
        avcc,
    )


def write_mp4(
    samples: Sequence[bytes], *, width: int, height: int, fps: int, sample_entry: bytes
) -> bytes:
    """A fast-start MP4 of `samples` (every one a sync sample) played at `fps`."""
    timescale = fps * 1000
    delta = 1000
    duration = len(samples) * delta
    movie_ms = len(samples) * 1000 // fps
    tables = (
        full_box(b"stsd", 0, 0, struct.pack(">I", 1), sample_entry),
        full_box(b"stts", 0, 0, struct.pack(">III", 1, len(samples), delta)),
        full_box(b"stsc", 0, 0, struct.pack(">IIII", 1, 1, len(samples), 1)),
        full_box(
            b"stsz",
            0,
            0,
            struct.pack(">II", 0, len(samples)),
            struct.pack(f">{len(samples)}I", *(len(s) for s in samples)),
        ),
    )

    def moov(chunk_offset: int) -> bytes:
        stco = full_box(b"stco", 0, 0, struct.pack(">II", 1, chunk_offset))
        minf = box(
            b"minf",
            full_box(b"vmhd", 0, 1, b"\x00" * 8),
            box(b"dinf", full_box(b"dref", 0, 0, struct.pack(">I", 1), full_box(b"url ", 0, 1))),
            box(b"stbl", *tables, stco),
        )
        mdia = box(
            b"mdia",
            full_box(b"mdhd", 0, 0, struct.pack(">IIIIHH", 0, 0, timescale, duration, 0x55C4, 0)),
            full_box(b"hdlr", 0, 0, b"\x00" * 4, b"vide", b"\x00" * 12, b"VideoHandler\x00"),
            minf,
        )
        tkhd = full_box(
            b"tkhd",
            0,
            3,  # enabled, in movie
            struct.pack(">IIIII", 0, 0, 1, 0, movie_ms),
            b"\x00" * 8,
            struct.pack(">hhhH", 0, 0, 0, 0),
            _MATRIX,
            struct.pack(">II", width << 16, height << 16),
        )
        mvhd = full_box(
            b"mvhd",
            0,
            0,
            struct.pack(">IIII", 0, 0, 1000, movie_ms),
            struct.pack(">IH", 0x10000, 0x100),
            b"\x00" * 10,
            _MATRIX,
            b"\x00" * 24,
            struct.pack(">I", 2),  # next_track_ID
        )
        return box(b"moov", mvhd, box(b"trak", tkhd, mdia))

    ftyp = box(b"ftyp", b"isom", struct.pack(">I", 512), b"isomiso2avc1mp41")
    head = len(ftyp) + len(moov(0)) + 8
    mdat_size = 8 + sum(len(s) for s in samples)
    return b"".join((ftyp, moov(head), struct.pack(">I", mdat_size), b"mdat", *samples))


def boxes(data: bytes, start: int = 0, end: int | None = None) -> Iterator[tuple[bytes, int, int]]:
    """(type, payload start, payload end) of each box between `start` and `end`."""
    end = len(data) if end is None else end
    at = start
    while at + 8 <= end:
        size, kind = struct.unpack_from(">I4s", data, at)
        header = 8
        if size == 1:
            if at + 16 > end:
                raise Mp4Error("truncated box header")
            (size,) = struct.unpack_from(">Q", data, at + 8)
            header = 16
        elif size == 0:
            size = end - at
        if size < header or at + size > end:
            raise Mp4Error(f"box {kind!r} runs past its parent")
        yield kind, at + header, at + size
        at += size


def find_video_track(data: bytes) -> VideoTrack:
    """The first video track of an MP4 (or MOV) file; Mp4Error if there is none."""
    if data[4:8] != b"ftyp":
        raise Mp4Error("not an ISO BMFF file (no ftyp box)")
    try:
        return _find_video_track(data)
    except struct.error as exc:
        raise Mp4Error(f"truncated box: {exc}") from exc


def _find_video_track(data: bytes) -> VideoTrack:
    for kind, start, end in boxes(data):
        if kind != b"moov":
            continue
        for child, trak_start, trak_end in boxes(data, start, end):
            if child != b"trak":
                continue
            found = _track_boxes(data, trak_start, trak_end)
            hdlr = found.get(b"hdlr", (0, 0))[0]
            if hdlr and data[hdlr + 8 : hdlr + 12] == b"vide":
                return _video_track(data, found)
    raise Mp4Error("no video track")


def _track_boxes(data: bytes, start: int, end: int) -> dict[bytes, tuple[int, int]]:
    """Every box inside a trak, flattened by type (the first of each type wins)."""
    found: dict[bytes, tuple[int, int]] = {}

    def walk(start: int, end: int) -> None:
        for kind, s, e in boxes(data, start, end):
            found.setdefault(kind, (s, e))
            if kind in _CONTAINERS:
                walk(s, e)

    walk(start, end)
    return found


def _video_track(data: bytes, found: dict[bytes, tuple[int, int]]) -> VideoTrack:
    try:
        tkhd, mdhd, stsd = found[b"tkhd"][0], found[b"mdhd"][0], found[b"stsd"][0]
        stsz, stsc = found[b"stsz"][0], found[b"stsc"][0]
    except KeyError as exc:
        raise Mp4Error(f"video track without {exc.args[0]!r}") from exc
    tkhd_v1 = data[tkhd] == 1
    width, height = struct.unpack_from(">II", data, tkhd + (88 if tkhd_v1 else 76))
    if data[mdhd] == 1:
        timescale, duration = struct.unpack_from(">IQ", data, mdhd + 20)
    else:
        timescale, duration = struct.unpack_from(">II", data, mdhd + 12)
    entry_size, codec = struct.unpack_from(">I4s", data, stsd + 8)
    entry = stsd + 16
    compressor = data[entry + 43 : entry + 43 + min(31, data[entry + 42])]
    avc_config = None
    for kind, s, e in boxes(data, entry + 78, stsd + 8 + entry_size):
        if kind == b"avcC":
            avc_config = data[s:e]
    return VideoTrack(
        width=width >> 16,
        height=height >> 16,
        timescale=timescale,
        duration=duration,
        codec=codec,
        compressor=compressor,
        avc_config=avc_config,
        samples=_samples(data, found, stsz, stsc),
    )


def _samples(
    data: bytes, found: dict[bytes, tuple[int, int]], stsz: int, stsc: int
) -> tuple[tuple[int, int], ...]:
    """(offset, size) of every sample, from the sample-to-chunk and chunk offset tables."""
    fixed, count = struct.unpack_from(">II", data, stsz + 4)
    if count > MAX_SAMPLES:
        raise Mp4Error(f"{count} samples; at most {MAX_SAMPLES} are read")
    sizes = [fixed] * count if fixed else list(struct.unpack_from(f">{count}I", data, stsz + 12))
    if b"stco" in found:
        at = found[b"stco"][0]
        (chunks,) = struct.unpack_from(">I", data, at + 4)
        offsets = list(struct.unpack_from(f">{chunks}I", data, at + 8))
    elif b"co64" in found:
        at = found[b"co64"][0]
        (chunks,) = struct.unpack_from(">I", data, at + 4)
        offsets = list(struct.unpack_from(f">{chunks}Q", data, at + 8))
    else:
        raise Mp4Error("video track without chunk offsets")
    (runs,) = struct.unpack_from(">I", data, stsc + 4)
    table = [struct.unpack_from(">III", data, stsc + 8 + 12 * i) for i in range(runs)]
    out: list[tuple[int, int]] = []
    for i, (first, per_chunk, _) in enumerate(table):
        last = table[i + 1][0] - 1 if i + 1 < runs else len(offsets)
        for chunk in range(first - 1, last):
            at = offsets[chunk]
            for _ in range(per_chunk):
                if len(out) == count:
                    break
                out.append((at, sizes[len(out)]))
                at += out[-1][1]
    if len(out) != count or any(o + s > len(data) for o, s in out):
        raise Mp4Error("sample table does not match the file")
    return tuple(out)
