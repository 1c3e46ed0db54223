"""What a provider is: something that turns a generation job into output files.

The worker picks the provider from the model's `runtime` in the catalog (`fal` or `local`),
hands it a `ProviderJob`, and gets back `ProviderOutput`s it then writes to object storage.
Providers report what they learn on the way through `ProviderEvents`: the provider's own request
id as soon as there is one (so a worker that dies mid-job can resume instead of paying for a
second run), and progress (queue position, percent, log lines) for the user.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from studio_contracts.enums import GenerationType, MediaType


@dataclass(frozen=True)
class InputFile:
    """A file the generation takes as input (a reference image, a source video, ...)."""

    content_type: str
    data: bytes
    filename: str = "input"


InputFiles = InputFile | tuple[InputFile, ...]
"""One parameter's input: a file, or for a list parameter (`image_urls`) every file bound to
it, in the order the person gave them."""


def first_file(given: InputFiles | None) -> InputFile | None:
    """The file of a one-file input, or the first of a list: for a renderer that takes one."""
    if isinstance(given, tuple):
        return given[0] if given else None
    return given


@dataclass(frozen=True)
class ProviderJob:
    generation_id: str
    model_id: str
    type: GenerationType
    output: MediaType
    params: Mapping[str, Any]
    """Validated parameters with defaults filled in, `prompt` included, named as the provider
    names them (fal's names); file inputs are not in here but in `inputs`."""
    inputs: Mapping[str, InputFiles] = field(default_factory=dict)
    """File inputs by parameter name (`image_url`, `video_url`, ...); a tuple of every file for
    a list parameter (`image_urls`)."""
    resume_request_id: str | None = None
    """Set when an earlier attempt already submitted this job: poll it, do not submit again."""


@dataclass(frozen=True)
class ProviderProgress:
    queue_position: int | None = None
    percent: float | None = None
    logs: tuple[str, ...] = ()


@dataclass(frozen=True)
class ProviderOutput:
    """One output file: its bytes, or a URL the worker downloads them from."""

    media_type: MediaType
    content_type: str
    extension: str
    data: bytes | None = None
    url: str | None = None
    width: int | None = None
    height: int | None = None
    duration: float | None = None
    safety_flagged: bool = False
    """The provider's safety checker flagged the file (and fal.ai sends a black image in its
    place): kept, and its owner told."""


class ProviderEvents(Protocol):
    async def submitted(self, request_id: str) -> None:
        """The provider accepted the job under `request_id` (stored before waiting on it)."""

    async def progress(self, progress: ProviderProgress) -> None: ...


def sentence(text: str) -> str:
    """`text` as a card shows it: capitalised (a brand written in lower case, such as fal.ai,
    stays as it is), ending with a full stop."""
    text = text.strip()
    if not text:
        return text
    if not text.startswith("fal.ai"):
        text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?" else f"{text}."


class ProviderError(Exception):
    """A job failed at the provider. `message` is for the person who asked for the generation,
    shown on its card: a sentence (capitalised, with a full stop) with little technical detail;
    the logs keep the rest."""

    transient: bool = False
    code: str = "provider_error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class TransientProviderError(ProviderError):
    """Worth retrying later: connection errors, timeouts, 5xx, 429."""

    transient = True
    code = "provider_unavailable"


class PermanentProviderError(ProviderError):
    """Retrying will not help: the provider refused the input (4xx), the key is wrong, ..."""

    code = "provider_rejected"


class Provider(Protocol):
    name: str

    async def run(self, job: ProviderJob, events: ProviderEvents) -> list[ProviderOutput]:
        """Run the job to the end and return its outputs, or raise a ProviderError."""

    async def cancel(self, request_id: str) -> bool:
        """Ask the provider to drop a submitted job; False when it is too late (already running
        or finished) — the generation still ends cancelled, its outputs unused."""
