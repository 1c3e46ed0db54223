"""3D: a binary glTF (GLB) relief of the reference image.

The image becomes a height field (bright is near, dark is far) on a grid of about 32 cells a side,
textured with the image itself and tinted with the prompt's colour. That reads as "the image in
3D" in any glTF viewer, and stays a few tens of kilobytes.
"""

import io
import json
import math
import random
import struct
import sys
from array import array
from typing import Any

from PIL import Image, ImageFilter

from studio_generation.providers.local_media.seeding import RGB

GRID = 32
"""Cells along the longer side."""
TEXTURE = 256
"""Texture side in pixels; a power of two, which every WebGL version can mipmap."""

_FLOAT, _USHORT = 5126, 5123
_ARRAY_BUFFER, _ELEMENT_ARRAY_BUFFER = 34962, 34963
_LINEAR, _CLAMP = 9729, 33071


def relief_glb(image: Image.Image, rng: random.Random, tint: RGB) -> bytes:
    """A GLB of `image` as a textured relief; `rng` sets its depth and smoothing."""
    width, height = image.size
    columns = GRID if width >= height else max(2, round(GRID * width / height))
    rows = GRID if height >= width else max(2, round(GRID * height / width))
    size_x, size_y = (1.0, height / width) if width >= height else (width / height, 1.0)
    depth = rng.uniform(0.08, 0.25)
    smoothing = rng.uniform(0.5, 2.0)

    # Blur at four pixels a cell, not at full size: the same relief for a fraction of the work.
    heights = (
        image.convert("L")
        .resize((4 * (columns + 1), 4 * (rows + 1)), Image.Resampling.BOX)
        .filter(ImageFilter.GaussianBlur(4 * smoothing))
        .resize((columns + 1, rows + 1), Image.Resampling.BOX)
        .tobytes()
    )
    z = [depth * v / 255 for v in heights]
    xs = [(i / columns - 0.5) * size_x for i in range(columns + 1)]
    ys = [(0.5 - j / rows) * size_y for j in range(rows + 1)]

    positions, normals, uvs = array("f"), array("f"), array("f")
    for j in range(rows + 1):
        for i in range(columns + 1):
            positions.extend((xs[i], ys[j], z[j * (columns + 1) + i]))
            uvs.extend((i / columns, j / rows))
            normals.extend(_normal(z, xs, ys, i, j, columns, rows))
    indices = array("H")
    for j in range(rows):
        for i in range(columns):
            a = j * (columns + 1) + i
            b, c = a + columns + 1, a + 1
            indices.extend((a, b, b + 1, a, b + 1, c))

    texture = io.BytesIO()
    image.resize((TEXTURE, TEXTURE), Image.Resampling.BICUBIC, reducing_gap=2.0).save(
        texture, format="JPEG", quality=85
    )
    return _glb(positions, normals, uvs, indices, texture.getvalue(), tint)


def _normal(
    z: list[float], xs: list[float], ys: list[float], i: int, j: int, columns: int, rows: int
) -> tuple[float, float, float]:
    """The surface normal from central differences (one-sided at the edges)."""
    left, right = max(0, i - 1), min(columns, i + 1)
    up, down = max(0, j - 1), min(rows, j + 1)
    row = columns + 1
    dz_dx = (z[j * row + right] - z[j * row + left]) / (xs[right] - xs[left])
    dz_dy = (z[down * row + i] - z[up * row + i]) / (ys[down] - ys[up])
    length = math.sqrt(dz_dx * dz_dx + dz_dy * dz_dy + 1)
    return (-dz_dx / length, -dz_dy / length, 1 / length)


def _glb(
    positions: "array[float]",
    normals: "array[float]",
    uvs: "array[float]",
    indices: "array[int]",
    texture: bytes,
    tint: RGB,
) -> bytes:
    """Pack the mesh and texture into one GLB: a JSON chunk, then a BIN chunk."""
    count = len(positions) // 3
    xyz = [positions[k::3] for k in range(3)]
    bounds = {"min": [min(axis) for axis in xyz], "max": [max(axis) for axis in xyz]}
    if sys.byteorder == "big":
        for part in (positions, normals, uvs, indices):
            part.byteswap()  # glTF buffers are little-endian
    blobs = [positions.tobytes(), normals.tobytes(), uvs.tobytes(), indices.tobytes(), texture]
    views: list[dict[str, Any]] = []
    binary = bytearray()
    targets = (_ARRAY_BUFFER, _ARRAY_BUFFER, _ARRAY_BUFFER, _ELEMENT_ARRAY_BUFFER, None)
    for blob, target in zip(blobs, targets, strict=True):
        view: dict[str, Any] = {"buffer": 0, "byteOffset": len(binary), "byteLength": len(blob)}
        if target is not None:
            view["target"] = target
        views.append(view)
        binary += blob + b"\x00" * (-len(blob) % 4)
    document = {
        "asset": {"version": "2.0", "generator": "AI Studio local provider"},
        "scene": 0,
        "scenes": [{"nodes": [0]}],
        "nodes": [{"mesh": 0, "name": "relief"}],
        "meshes": [
            {
                "name": "relief",
                "primitives": [
                    {
                        "attributes": {"POSITION": 0, "NORMAL": 1, "TEXCOORD_0": 2},
                        "indices": 3,
                        "material": 0,
                    }
                ],
            }
        ],
        "materials": [
            {
                "name": "image",
                "doubleSided": True,
                "pbrMetallicRoughness": {
                    "baseColorTexture": {"index": 0},
                    "baseColorFactor": [round(c / 255, 4) for c in tint] + [1.0],
                    "metallicFactor": 0.0,
                    "roughnessFactor": 0.85,
                },
            }
        ],
        "textures": [{"sampler": 0, "source": 0}],
        "samplers": [
            {"magFilter": _LINEAR, "minFilter": _LINEAR, "wrapS": _CLAMP, "wrapT": _CLAMP}
        ],
        "images": [{"bufferView": 4, "mimeType": "image/jpeg"}],
        "accessors": [
            {
                "bufferView": 0,
                "componentType": _FLOAT,
                "count": count,
                "type": "VEC3",
                **bounds,
            },
            {"bufferView": 1, "componentType": _FLOAT, "count": count, "type": "VEC3"},
            {"bufferView": 2, "componentType": _FLOAT, "count": count, "type": "VEC2"},
            {"bufferView": 3, "componentType": _USHORT, "count": len(indices), "type": "SCALAR"},
        ],
        "bufferViews": views,
        "buffers": [{"byteLength": len(binary)}],
    }
    text = json.dumps(document, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 4)
    total = 12 + 8 + len(text) + 8 + len(binary)
    return b"".join(
        (
            struct.pack("<4sII", b"glTF", 2, total),
            struct.pack("<I4s", len(text), b"JSON"),
            text,
            struct.pack("<I4s", len(binary), b"BIN\x00"),
            bytes(binary),
        )
    )
