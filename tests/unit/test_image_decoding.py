"""Decoding images: thumbnails stand upright, and what one image may cost in memory is bounded
(the largest accepted, 64 megapixels, is 256 MB decoded, whatever its file's size)."""

import io
import struct
import subprocess
import sys
import textwrap
import zlib
from pathlib import Path

from PIL import Image
from studio_assets.images import inspect_image

DECODED_MB = 8000 * 8000 * 4 // 2**20  # Pillow holds an RGB pixel in 4 bytes


def _flat_png(path: Path, width: int = 8000, height: int = 8000) -> Path:
    """A black RGB PNG: a few hundred kilobytes that decode to `DECODED_MB`."""
    row = b"\x00" * (1 + width * 3)
    packer = zlib.compressobj(9)
    data = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
    )
    return path


def _peak_mb_of(script: str, *args: str) -> int:
    """How much more memory `script` took at its peak than the interpreter and imports did."""
    prelude = textwrap.dedent(
        """
        import asyncio, resource, sys
        from pathlib import Path
        from studio_assets.images import inspect_image
        from studio_assets.thumbnails import Thumbnails
        from studio_storage.directory import DirectoryObjectStore

        def peak() -> int:
            return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024

        before = peak()
        """
    )
    epilogue = "\nprint(peak() - before)\n"
    done = subprocess.run(
        [sys.executable, "-c", prelude + textwrap.dedent(script) + epilogue, *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return int(done.stdout.split()[-1])


def test_a_photo_turned_by_its_exif_gets_an_upright_thumbnail() -> None:
    stored = Image.new("RGB", (200, 100), "blue")
    stored.paste((255, 0, 0), (0, 0, 100, 100))  # left half red, as the camera stored it
    exif = Image.Exif()
    exif[0x0112] = 6  # shown turned 90° clockwise: the stored left half is the top
    source = io.BytesIO()
    stored.save(source, format="JPEG", exif=exif, quality=95)
    source.seek(0)

    facts = inspect_image(source, max_pixels=64_000_000, max_px=64)

    thumbnail = Image.open(io.BytesIO(facts.thumbnail)).convert("RGB")
    assert thumbnail.size == (32, 64)
    top, bottom = thumbnail.getpixel((16, 8)), thumbnail.getpixel((16, 56))
    assert isinstance(top, tuple) and isinstance(bottom, tuple)
    assert top[0] > 200 and top[2] < 60, top
    assert bottom[2] > 200 and bottom[0] < 60, bottom


def test_the_largest_image_accepted_takes_its_decoded_size_once(tmp_path: Path) -> None:
    png = _flat_png(tmp_path / "flat.png")
    assert png.stat().st_size < 300_000
    peak = _peak_mb_of(
        """
        with open(sys.argv[1], "rb") as source:
            facts = inspect_image(source, max_pixels=64_000_000, max_px=512)
        assert (facts.width, facts.height) == (8000, 8000)
        """,
        str(png),
    )
    # It was twice this: the full-size image was copied to be turned upright, then shrunk.
    assert peak < DECODED_MB * 1.5, peak


def test_images_are_decoded_a_few_at_a_time(tmp_path: Path) -> None:
    png = _flat_png(tmp_path / "flat.png")
    peak = _peak_mb_of(
        """
        async def main() -> None:
            thumbnails = Thumbnails(
                DirectoryObjectStore(Path(sys.argv[2])), max_pixels=64_000_000, max_px=512, decodes=1
            )

            async def one() -> int:
                with open(sys.argv[1], "rb") as source:
                    return (await thumbnails.inspect(source)).width

            assert await asyncio.gather(one(), one(), one()) == [8000, 8000, 8000]

        asyncio.run(main())
        """,
        str(png),
        str(tmp_path / "store"),
    )
    # Three uploads of this 0.2 MB file at once took three times the decoded size.
    assert peak < DECODED_MB * 1.7, peak
