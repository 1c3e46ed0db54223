"""Still images: text-to-image (a captioned landscape) and image-to-image (a re-tint)."""

import io
import random
import threading
import warnings
import zlib
from collections.abc import Mapping

from PIL import Image, ImageDraw, ImageFont, ImageOps, UnidentifiedImageError

from studio_generation.providers.local_media import BadInput
from studio_generation.providers.local_media.scene import draw_scene, make_scene
from studio_generation.providers.local_media.seeding import RGB, mix

IMAGE_SIZES: Mapping[str, tuple[int, int]] = {
    "square_hd": (1024, 1024),
    "square": (512, 512),
    "portrait_4_3": (768, 1024),
    "portrait_16_9": (576, 1024),
    "landscape_4_3": (1024, 768),
    "landscape_16_9": (1024, 576),
}
"""fal's named sizes, which the local models accept too."""

MAX_INPUT_PIXELS = 40_000_000
"""Larger reference images are refused rather than decoded (decompression bombs)."""

FORMATS = {"png": ("PNG", "image/png"), "webp": ("WEBP", "image/webp")}


def image_size(value: object) -> tuple[int, int]:
    """A named size, or fal's custom `{width, height}` (kept within 64..2048)."""
    if isinstance(value, str) and value in IMAGE_SIZES:
        return IMAGE_SIZES[value]
    if isinstance(value, Mapping):
        width, height = value.get("width"), value.get("height")
        if isinstance(width, int) and isinstance(height, int):
            return (min(2048, max(64, width)), min(2048, max(64, height)))
    raise BadInput(f"unknown image_size {value!r}; use one of {', '.join(IMAGE_SIZES)}")


def render_image(
    prompt: str,
    rng: random.Random,
    hue: float,
    size: tuple[int, int],
    *,
    detail: int,
    vivid: float,
) -> Image.Image:
    """A landscape in the prompt's colours, with the prompt as a caption along the bottom."""
    scene = make_scene(rng, hue, detail=detail, vivid=vivid)
    image = draw_scene(scene, size)
    _caption(image, prompt, scene.ridges[-1].colour)
    return image


def edit_image(
    source: Image.Image, size: tuple[int, int], dark: RGB, light: RGB, strength: float
) -> Image.Image:
    """The source cropped to `size`, re-tinted towards a duotone by `strength` (0..1)."""
    fitted = ImageOps.fit(source, size, Image.Resampling.BICUBIC)
    return retint(fitted, dark, light, strength)


def retint(image: Image.Image, dark: RGB, light: RGB, strength: float) -> Image.Image:
    """`image` blended with its own duotone (shadows `dark`, highlights `light`)."""
    duotone = ImageOps.colorize(image.convert("L"), dark, light)
    return Image.blend(image, duotone, min(1.0, max(0.0, strength)))


def encode_image(image: Image.Image, output_format: str) -> tuple[bytes, str, str]:
    """The encoded bytes, content type and file extension; PNG or lossy WebP."""
    if output_format not in FORMATS:
        raise BadInput(f"unknown output_format {output_format!r}; use png or webp")
    pil_format, content_type = FORMATS[output_format]
    out = io.BytesIO()
    if pil_format == "PNG":
        # Level 1 with run-length matching: the renders are flat shapes and gradients, for which
        # this is both the fastest setting measured (a third less than plain level 1, several
        # times less than the default) and the smallest file.
        image.save(out, format="PNG", compress_level=1, compress_type=zlib.Z_RLE)
    else:
        image.save(out, format="WEBP", quality=85, method=4)
    return out.getvalue(), content_type, output_format


def open_image(data: bytes, *, max_side: int = 2048) -> Image.Image:
    """An uploaded image as RGB (alpha flattened onto white, EXIF rotation applied)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as opened:
                if opened.width * opened.height > MAX_INPUT_PIXELS:
                    raise BadInput(
                        f"the reference image is {opened.width}x{opened.height} pixels; "
                        f"at most {MAX_INPUT_PIXELS:,} are accepted"
                    )
                opened.draft("RGB", (max_side, max_side))
                image = ImageOps.exif_transpose(opened) or opened
                image.load()
        return _flatten(image, max_side)
    except BadInput:
        raise
    except (
        UnidentifiedImageError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
        OSError,
        SyntaxError,
        ValueError,
    ) as exc:
        # PIL's own words name a Python object ("<_io.BytesIO object at 0x…>"): not for a card.
        raise BadInput(
            f"The reference image could not be read ({type(exc).__name__}); it may be damaged "
            "or not an image"
        ) from exc


def _flatten(image: Image.Image, max_side: int) -> Image.Image:
    """RGB, transparency composited onto white, at most `max_side` pixels a side."""
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        image = Image.new("RGB", rgba.size, (255, 255, 255))
        image.paste(rgba, mask=rgba.getchannel("A"))
    elif image.mode != "RGB":
        image = image.convert("RGB")
    image.thumbnail((max_side, max_side), Image.Resampling.BICUBIC)
    return image


def fitted(text: str, font: ImageFont.FreeTypeFont | ImageFont.ImageFont, room: float) -> str:
    """`text`, or the longest start of it that fits in `room` with an ellipsis after it (found
    by halving: a width only grows with the text)."""
    if font.getlength(text) <= room:
        return text
    fits, too_long = 0, len(text)
    while too_long - fits > 1:
        middle = (fits + too_long) // 2
        if font.getlength(text[:middle] + "...") <= room:
            fits = middle
        else:
            too_long = middle
    return text[:fits] + "..."


_FONTS = threading.local()


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """Pillow's default font at `size`, loaded once per rendering thread (loading it parses the
    font file, which cost more than drawing a small image; a font is not shared across threads,
    which render at the same time)."""
    fonts: dict[int, ImageFont.FreeTypeFont | ImageFont.ImageFont] = _FONTS.__dict__.setdefault(
        "by_size", {}
    )
    if (font := fonts.get(size)) is None:
        font = fonts[size] = ImageFont.load_default(size=size)
    return font


def _caption(image: Image.Image, text: str, band: RGB) -> None:
    """The prompt in a band along the bottom, cut short to fit the width."""
    width, height = image.size
    size = max(10, min(width, height) // 32)
    margin = size // 2
    room = width - 2 * margin
    text = " ".join(text.split())[: round(room / (size * 0.3))]
    try:
        font = _font(size)
        text = fitted(text, font, room)
        top = height - size - 2 * margin
        draw = ImageDraw.Draw(image)
        draw.rectangle((0, top, width, height), fill=mix(band, (0, 0, 0), 0.45))
        draw.text((margin, top + margin * 0.8), text, font=font, fill=(245, 245, 245))
    except (UnicodeError, OSError):
        # Only Pillow's bitmap fallback font (no FreeType) fails here; the picture stands alone.
        return
