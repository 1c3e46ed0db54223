"""Previews: an image's size and WebP thumbnail, or a video's first frame (its poster), stored
beside the file as `….thumb.webp`; a sound's waveform (peaks kept in its record). Made in a
worker thread: decoding blocks. A few at a time: a small file can decode to hundreds of
megabytes (a 0.5 MB PNG of 8000 by 8000 pixels), so memory is bounded by how many run at once."""

import asyncio
import tempfile
from collections.abc import Awaitable, Callable
from typing import IO, Any, TypeVar

from studio_contracts.events import OutputFile
from studio_runtime.errors import InvalidInput
from studio_storage import ObjectStore

from studio_assets.images import BadImage, ImageFacts, inspect_image
from studio_assets.posters import video_poster
from studio_assets.probe import MediaFacts, probe_media
from studio_assets.waveforms import audio_waveform

T = TypeVar("T")

OWN_THUMBNAIL_TYPES = frozenset({"image/png", "image/jpeg", "image/webp", "image/gif"})
"""Images in these types that fit the thumbnail size serve as their own thumbnail."""


class Thumbnails:
    def __init__(
        self, store: ObjectStore, *, max_pixels: int, max_px: int, decodes: int = 2
    ) -> None:
        self._store = store
        self._max_pixels = max_pixels
        self._max_px = max_px
        self._decoding = asyncio.Semaphore(decodes)

    async def inspect(self, source: IO[bytes], *, whole_file: bool = False) -> ImageFacts:
        """The image's size and thumbnail; InvalidInput for one that cannot be decoded safely
        (or, with `whole_file`, for a file that is more than the image: an upload)."""
        try:
            return await self._decode(
                inspect_image,
                source,
                max_pixels=self._max_pixels,
                max_px=self._max_px,
                whole_file=whole_file,
            )
        except BadImage as exc:
            raise InvalidInput(str(exc)) from exc

    async def inspect_stored(self, key: str) -> ImageFacts:
        """The same for an image already in storage (a generation's output)."""
        return await self._from_store(key, self.inspect)

    async def poster(self, source: IO[bytes]) -> ImageFacts | None:
        """A video's first frame and its thumbnail; None when it has none to show."""
        return await self._decode(
            video_poster, source, max_pixels=self._max_pixels, max_px=self._max_px
        )

    async def poster_stored(
        self, key: str, *, probe: bool = False
    ) -> tuple[ImageFacts | None, MediaFacts | None]:
        """The same for a video already in storage (a generation's output), and with `probe`
        what its headers say (duration, size, codec): read from the one copy the poster needs,
        so a provider's video that came without its duration costs no second download."""

        async def read(source: IO[bytes]) -> tuple[ImageFacts | None, MediaFacts | None]:
            return await self.poster(source), await _probed(source, probe)

        return await self._from_store(key, read)

    async def waveform(self, source: IO[bytes]) -> list[int] | None:
        """A sound's peaks for the studio to draw; None when it has none to show."""
        return await self._decode(audio_waveform, source)

    async def waveform_stored(
        self, key: str, *, probe: bool = False
    ) -> tuple[list[int] | None, MediaFacts | None]:
        """The same for a sound already in storage (a generation's output), and with `probe`
        what its headers say, from the same copy (see `poster_stored`)."""

        async def read(source: IO[bytes]) -> tuple[list[int] | None, MediaFacts | None]:
            return await self.waveform(source), await _probed(source, probe)

        return await self._from_store(key, read)

    async def _decode(self, work: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        async with self._decoding:
            return await asyncio.to_thread(work, *args, **kwargs)

    async def _from_store(self, key: str, read: Callable[[IO[bytes]], Awaitable[T]]) -> T:
        """`read` of the object at `key`, copied to a spooled file first (decoders seek)."""
        with tempfile.SpooledTemporaryFile(max_size=8 << 20) as spool:
            async for chunk in await self._store.get(key):
                spool.write(chunk)
            spool.seek(0)
            return await read(spool)

    async def put(self, image_key: str, facts: ImageFacts) -> str:
        """Store the thumbnail beside the image; returns its key."""
        key = image_key.rsplit(".", 1)[0] + ".thumb.webp"
        await self._store.put_bytes(key, facts.thumbnail, content_type="image/webp")
        return key

    def is_own(self, output: OutputFile) -> bool:
        """Whether a generated image is small enough, in a format browsers show, to be its own
        thumbnail (by the size the worker reported: nothing is decoded)."""
        return (
            output.content_type in OWN_THUMBNAIL_TYPES
            and output.width is not None
            and output.height is not None
            and max(output.width, output.height) <= self._max_px
        )


async def _probed(source: IO[bytes], probe: bool) -> MediaFacts | None:
    """The file's facts from its headers when asked for (only the headers are read: cheap
    beside a decode, so not held to the decoders' limit), else None."""
    return await asyncio.to_thread(probe_media, source) if probe else None
