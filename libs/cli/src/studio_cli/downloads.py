"""Names for downloaded files: safe to write, predictable for scripts."""

import mimetypes
import re
import tempfile
from pathlib import Path

from studio_cli.errors import CliError, ExitCode

_EXTENSIONS = {
    "audio/wav": ".wav",
    "audio/x-wav": ".wav",
    "audio/mpeg": ".mp3",
    "image/jpeg": ".jpg",
    "image/webp": ".webp",
    "model/gltf-binary": ".glb",
    "video/mp4": ".mp4",
    "video/webm": ".webm",
}
"""Types whose extension the platform's mimetypes table may lack or spell oddly."""
_UNSAFE = re.compile(r"[^\w.\- ]+")


def output_filename(generation_id: str, output: dict[str, object]) -> str:
    """`<generation id>-<index><ext>`: a script can find a generation's files by its id."""
    return f"{generation_id}-{output['index']}{extension_for(str(output['content_type']))}"


def extension_for(content_type: str) -> str:
    base = content_type.split(";")[0].strip().lower()
    return _EXTENSIONS.get(base) or mimetypes.guess_extension(base) or ""


def safe_filename(name: str, *, fallback: str) -> str:
    """`name` as one file name in the target directory: no directories, no hidden files, no
    characters a shell or file system trips on."""
    cleaned = _UNSAFE.sub("_", name.replace("/", "_").replace("\\", "_")).strip(" .")
    return cleaned or fallback


def prepare_directory(directory: Path) -> None:
    """Make `directory` if missing and check that files can be written in it; a usage error
    otherwise, for a command to raise before it asks the studio for anything."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CliError(f"cannot create {directory}: {exc.strerror}", ExitCode.USAGE) from exc
    try:
        with tempfile.TemporaryFile(dir=directory):
            pass
    except OSError as exc:
        raise CliError(f"cannot write to {directory}: {exc.strerror}", ExitCode.USAGE) from exc
