"""What goes into and comes out of a fal request: the request handle the worker stores, file
inputs as data URIs, and the model's result JSON as `ProviderOutput`s."""

import base64
import binascii
import json
import mimetypes
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from studio_contracts.enums import MediaType

from studio_generation.providers.base import InputFile, PermanentProviderError, ProviderOutput

HANDLE_VERSION = 1
_REQUEST_ID = re.compile(r"^[A-Za-z0-9_.-]{1,128}$")
_UNREADABLE_HANDLE = (
    "The fal.ai request stored for this generation could not be read; try the generation again."
)


@dataclass(frozen=True)
class FalHandle:
    """Everything needed to find a fal request again: fal's own URLs, not rebuilt ones, because
    for models with a sub-path (fal-ai/flux/dev) fal's URLs drop the sub-path."""

    request_id: str
    status_url: str
    response_url: str
    cancel_url: str

    def encode(self) -> str:
        """The string `events.submitted` receives and the worker stores as the request id."""
        return json.dumps(
            {
                "v": HANDLE_VERSION,
                "request_id": self.request_id,
                "status_url": self.status_url,
                "response_url": self.response_url,
                "cancel_url": self.cancel_url,
            },
            separators=(",", ":"),
        )

    @classmethod
    def decode(cls, handle: str) -> "FalHandle | None":
        """The handle back; None for a bare request id (see `from_request_id`)."""
        if not handle.lstrip().startswith("{"):
            return None
        try:
            data = json.loads(handle)
            if data.get("v") != HANDLE_VERSION:
                raise ValueError(f"unknown handle version {data.get('v')!r}")
            values = {k: data[k] for k in ("request_id", "status_url", "response_url")}
            values["cancel_url"] = data.get("cancel_url") or f"{data['response_url']}/cancel"
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise PermanentProviderError(_UNREADABLE_HANDLE) from exc
        if not all(isinstance(v, str) for v in values.values()):
            raise PermanentProviderError(_UNREADABLE_HANDLE)
        return cls(**values)

    @classmethod
    def from_submit(cls, body: Any) -> "FalHandle":
        """From fal's submit answer; a missing URL is derived from response_url like fal does."""
        if not isinstance(body, dict) or not isinstance(body.get("request_id"), str):
            raise PermanentProviderError("fal.ai accepted the job but sent no request id.")
        response_url = body.get("response_url")
        status_url = body.get("status_url")
        if not isinstance(response_url, str) or not isinstance(status_url, str):
            raise PermanentProviderError(
                "fal.ai accepted the job but did not say where to follow it."
            )
        cancel_url = body.get("cancel_url")
        return cls(
            request_id=body["request_id"],
            status_url=status_url,
            response_url=response_url,
            cancel_url=cancel_url if isinstance(cancel_url, str) else f"{response_url}/cancel",
        )

    @classmethod
    def from_request_id(cls, base_url: str, model_id: str, request_id: str) -> "FalHandle":
        """Fallback for a worker that stored only fal's request id: fal's documented URL shape
        `{base}/{owner}/{app}/requests/{id}` (the model id's first two segments)."""
        if not _REQUEST_ID.match(request_id):
            raise PermanentProviderError(_UNREADABLE_HANDLE)
        app = "/".join(model_id.strip("/").split("/")[:2])
        response_url = f"{base_url.rstrip('/')}/{app}/requests/{request_id}"
        return cls(request_id, f"{response_url}/status", response_url, f"{response_url}/cancel")


# --- inputs ---------------------------------------------------------------------------------


def data_uri(file: InputFile) -> str:
    content_type = file.content_type or "application/octet-stream"
    return f"data:{content_type};base64,{base64.b64encode(file.data).decode('ascii')}"


def request_body(
    params: Mapping[str, Any], file_urls: Mapping[str, str | list[str]]
) -> dict[str, Any]:
    """The model input: params as given, plus each file input's URL (a data URI or a fal
    storage URL), or for a list parameter such as `image_urls` the list of its files' URLs in
    order (a lone URL given for one becomes a one-item list, which is what fal takes). Files are
    never passed as URLs of our own storage."""
    body = dict(params)
    for name, url in file_urls.items():
        body[name] = [url] if isinstance(url, str) and name.endswith("_urls") else url
    return body


# --- outputs --------------------------------------------------------------------------------

OUTPUT_KEYS: Mapping[MediaType, tuple[str, ...]] = {
    MediaType.IMAGE: ("images", "image"),
    MediaType.VIDEO: ("video", "videos"),
    MediaType.AUDIO: ("audio", "audio_file", "audio_url"),
    MediaType.MODEL3D: ("model_mesh", "model_glb", "model"),
}
OUTPUT_NOUNS: Mapping[MediaType, str] = {
    MediaType.IMAGE: "image",
    MediaType.VIDEO: "video",
    MediaType.AUDIO: "sound",
    MediaType.MODEL3D: "3D model",
}
"""Each output kind as a card names it."""
DEFAULT_CONTENT_TYPE: Mapping[MediaType, str] = {
    MediaType.IMAGE: "image/png",
    MediaType.VIDEO: "video/mp4",
    MediaType.AUDIO: "audio/mpeg",
    MediaType.MODEL3D: "model/gltf-binary",
}
EXTENSION_BY_TYPE: Mapping[str, str] = {
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/jpg": "jpg",
    "image/webp": "webp",
    "image/gif": "gif",
    "video/mp4": "mp4",
    "video/webm": "webm",
    "video/quicktime": "mov",
    "audio/wav": "wav",
    "audio/x-wav": "wav",
    "audio/wave": "wav",
    "audio/mpeg": "mp3",
    "audio/mp3": "mp3",
    "audio/ogg": "ogg",
    "audio/flac": "flac",
    "audio/mp4": "m4a",
    "model/gltf-binary": "glb",
    "model/gltf+json": "gltf",
    "model/obj": "obj",
}
TYPE_BY_EXTENSION: Mapping[str, str] = {
    **{ext: ctype for ctype, ext in EXTENSION_BY_TYPE.items()},
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "wav": "audio/wav",
    "mp3": "audio/mpeg",
}


def map_outputs(result: Any, media_type: MediaType) -> list[ProviderOutput]:
    """The files in a model's result JSON for the job's output kind, URLs left for the worker
    to download (fal's media URLs expire: the worker copies them promptly)."""
    if not isinstance(result, dict):
        raise PermanentProviderError(
            "fal.ai answered a result that could not be read (not a JSON object)."
        )
    flagged = _safety_flags(result)
    outputs = [
        _output(file, media_type, flagged=index < len(flagged) and flagged[index])
        for index, file in enumerate(_files(result, media_type))
    ]
    if not outputs:
        raise PermanentProviderError(
            f"The model finished, but fal.ai sent back no {OUTPUT_NOUNS[media_type]} "
            f"({_result_keys(result)}).",
            code="provider_bad_output",
        )
    return outputs


def _result_keys(result: Mapping[str, Any], shown: int = 5) -> str:
    """What the result held instead, briefly: "the result had: foo, seed"."""
    keys = sorted(result)
    if not keys:
        return "the result was empty"
    more = f" and {len(keys) - shown} more" if len(keys) > shown else ""
    return f"the result had: {', '.join(keys[:shown])}{more}"


def _safety_flags(result: Mapping[str, Any]) -> list[bool]:
    """fal's `has_nsfw_concepts`: one flag per file, in the order of the files, true where its
    safety checker withheld the image and sent a black one in its place."""
    flags = result.get("has_nsfw_concepts")
    return [flag is True for flag in flags] if isinstance(flags, list) else []


def _files(result: Mapping[str, Any], media_type: MediaType) -> Iterator[dict[str, Any]]:
    for key in OUTPUT_KEYS[media_type]:
        value = result.get(key)
        items = value if isinstance(value, list) else [value]
        for item in items:
            if isinstance(item, str):
                item = {"url": item}
            if isinstance(item, dict) and isinstance(item.get("url"), str):
                yield item


def _output(file: Mapping[str, Any], media_type: MediaType, *, flagged: bool) -> ProviderOutput:
    url: str = file["url"]
    data: bytes | None = None
    name = file.get("file_name") if isinstance(file.get("file_name"), str) else None
    declared = _clean_type(file.get("content_type"))
    if url.startswith("data:"):
        declared_in_uri, data = _decode_data_uri(url)
        declared = declared or declared_in_uri
        url_for_ext = name or ""
    else:
        url_for_ext = name or unquote(urlsplit(url).path)
    guessed = TYPE_BY_EXTENSION.get(_extension_of(url_for_ext))
    if declared in (None, "application/octet-stream", "binary/octet-stream"):
        content_type = guessed or declared or DEFAULT_CONTENT_TYPE[media_type]
    else:
        content_type = declared
    return ProviderOutput(
        media_type=media_type,
        content_type=content_type,
        extension=_extension_for(content_type, url_for_ext),
        data=data,
        url=None if data is not None else url,
        width=_int(file.get("width")),
        height=_int(file.get("height")),
        duration=_float(file.get("duration")),
        safety_flagged=flagged,
    )


def _clean_type(value: Any) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    return value.split(";", 1)[0].strip().lower()


def _extension_of(path: str) -> str:
    last = path.rsplit("/", 1)[-1]
    return last.rsplit(".", 1)[-1].lower() if "." in last else ""


def _extension_for(content_type: str, path: str) -> str:
    known = EXTENSION_BY_TYPE.get(content_type)
    if known:
        return known
    from_path = _extension_of(path)
    if from_path and from_path.isalnum() and len(from_path) <= 5:
        return from_path
    guessed = mimetypes.guess_extension(content_type)
    return guessed.lstrip(".") if guessed else "bin"


def _decode_data_uri(uri: str) -> tuple[str | None, bytes]:
    """Some models (sync mode) answer files inline as data URIs: keep the bytes."""
    header, _, payload = uri.partition(",")
    meta = header[len("data:") :]
    try:
        if meta.endswith(";base64"):
            return _clean_type(meta[: -len(";base64")]), base64.b64decode(payload, validate=True)
        return _clean_type(meta), unquote(payload).encode()
    except (binascii.Error, ValueError) as exc:
        raise PermanentProviderError(
            f"fal.ai sent a result file that could not be read (a broken data URI: "
            f"{type(exc).__name__})."
        ) from exc


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _float(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None
