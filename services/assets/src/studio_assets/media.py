"""What a file is, decided from its first bytes (its magic numbers), never from its name or the
type its sender declared. Only the formats listed here are accepted as uploads."""

from dataclasses import dataclass

from studio_contracts.enums import MediaType

SNIFF_BYTES = 64
"""Enough of the head of a file for every signature below."""


@dataclass(frozen=True)
class FileType:
    media_type: MediaType
    content_type: str
    extension: str


PNG = FileType(MediaType.IMAGE, "image/png", "png")
JPEG = FileType(MediaType.IMAGE, "image/jpeg", "jpg")
GIF = FileType(MediaType.IMAGE, "image/gif", "gif")
WEBP = FileType(MediaType.IMAGE, "image/webp", "webp")
MP4 = FileType(MediaType.VIDEO, "video/mp4", "mp4")
MOV = FileType(MediaType.VIDEO, "video/quicktime", "mov")
WEBM = FileType(MediaType.VIDEO, "video/webm", "webm")
WAV = FileType(MediaType.AUDIO, "audio/wav", "wav")
MP3 = FileType(MediaType.AUDIO, "audio/mpeg", "mp3")
OGG = FileType(MediaType.AUDIO, "audio/ogg", "ogg")
FLAC = FileType(MediaType.AUDIO, "audio/flac", "flac")
M4A = FileType(MediaType.AUDIO, "audio/mp4", "m4a")
GLB = FileType(MediaType.MODEL3D, "model/gltf-binary", "glb")

UPLOADABLE = frozenset({PNG, JPEG, GIF, WEBP, MP4, MOV, WEBM, WAV, MP3, OGG, FLAC, M4A})
BY_CONTENT_TYPE = {t.content_type: t for t in (*UPLOADABLE, GLB)}


def sniff(head: bytes) -> FileType | None:
    """The type whose signature `head` starts with, or None."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return GIF
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return WAV
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand == b"qt  ":
            return MOV
        if brand in (b"M4A ", b"M4B "):
            return M4A
        return MP4
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return WEBM
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return MP3
    if head.startswith(b"OggS"):
        return OGG
    if head.startswith(b"fLaC"):
        return FLAC
    if head.startswith(b"glTF"):
        return GLB
    return None
