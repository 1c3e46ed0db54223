"""The `local` provider: renders every generation type on this machine, offline and free.

It lets the whole studio run and be shown with no network and no key, and gives tests a
provider that behaves like a hosted one (a request id first, then progress, then files) with
none of the cost. Its outputs are honest files of the promised types, made by the small
renderers in `local_media`, and deterministic: the same model, prompt, seed and parameters give
the same bytes. Rendering is CPU work, so it runs in a thread while the event loop reports
progress; `latency_s` and `progress_steps` make a job take time, like a real one, for demos and
tests of the progress path.
"""

import asyncio
import hashlib
import time
from collections.abc import Callable, Mapping
from typing import Any

import structlog
from studio_contracts.enums import MediaType

from studio_generation.providers.base import (
    PermanentProviderError,
    ProviderEvents,
    ProviderJob,
    ProviderOutput,
    ProviderProgress,
    first_file,
    sentence,
)
from studio_generation.providers.local_media import BadInput
from studio_generation.providers.local_media.audio import render_melody
from studio_generation.providers.local_media.gltf import relief_glb
from studio_generation.providers.local_media.images import (
    edit_image,
    encode_image,
    image_size,
    open_image,
    render_image,
)
from studio_generation.providers.local_media.seeding import base_hue, mix, rng_for, tint_pair
from studio_generation.providers.local_media.video import (
    SIZES,
    Clip,
    image_to_video,
    text_to_video,
    video_to_video,
)

log = structlog.get_logger(__name__)

DEFAULT_SEED = 0
"""Used when the job has no seed: the prompt alone then decides the output."""

Renderer = Callable[[ProviderJob], list[ProviderOutput]]


class LocalProvider:
    name = "local"

    def __init__(self, latency_s: float = 0.0, progress_steps: int = 0) -> None:
        if latency_s < 0 or progress_steps < 0:
            raise ValueError("latency_s and progress_steps must not be negative")
        self.latency_s = latency_s
        self.progress_steps = progress_steps

    async def run(self, job: ProviderJob, events: ProviderEvents) -> list[ProviderOutput]:
        model = _MODELS.get(job.model_id)
        if model is None:
            raise PermanentProviderError(
                f"The offline provider has no model {job.model_id}; "
                f"it has {', '.join(sorted(_MODELS))}."
            )
        render, required = model
        for name in required:
            if not _input(job, name):
                raise PermanentProviderError(f"This model needs an input file for {name}.")
        # No request id is reported (`events.submitted`): nothing of a local job survives its
        # worker, so there is nothing to resume, and storing one would cost a write per job.
        # Rendering again gives the same bytes.
        started = time.perf_counter()
        rendering = asyncio.create_task(asyncio.to_thread(render, job))
        try:
            await self._pace(events)
        except BaseException:
            rendering.cancel()  # the thread finishes on its own; its result is dropped
            raise
        try:
            outputs = await rendering
        except BadInput as exc:
            raise PermanentProviderError(sentence(str(exc))) from exc
        except Exception as exc:
            # A renderer bug fails the same way every time: retrying cannot help. Its words
            # are in the log; the card says what happened.
            log.exception("local.render_failed", model=job.model_id)
            raise PermanentProviderError(
                f"The offline renderer failed ({type(exc).__name__}); tell the operator."
            ) from exc
        log.debug(
            "local.rendered",
            model=job.model_id,
            outputs=len(outputs),
            bytes=sum(len(o.data or b"") for o in outputs),
            ms=round((time.perf_counter() - started) * 1000),
        )
        return outputs

    async def cancel(self, request_id: str) -> bool:
        """Local jobs cannot be stopped once started; the worker discards their result."""
        return False

    async def _pace(self, events: ProviderEvents) -> None:
        """Spread `progress_steps` reports over `latency_s` (or just wait, with no steps)."""
        if self.progress_steps == 0:
            if self.latency_s > 0:
                await asyncio.sleep(self.latency_s)
            return
        pause = self.latency_s / self.progress_steps
        for step in range(1, self.progress_steps + 1):
            await asyncio.sleep(pause)
            percent = round(100 * step / self.progress_steps, 1)
            await events.progress(
                ProviderProgress(percent=percent, logs=(f"step {step}/{self.progress_steps}",))
            )


# --- renderers: read the job's parameters, call local_media, describe the files ---------------


def _text_to_image(job: ProviderJob) -> list[ProviderOutput]:
    params = job.params
    prompt, seed = _text(params, "prompt"), _seed(params)
    negative = _text(params, "negative_prompt", "")
    size = image_size(params.get("image_size", "square_hd"))
    steps = _integer(params, "num_inference_steps", 4, 1, 50)
    guidance = _number(params, "guidance_scale", 3.5, 0, 20)
    output_format = _choice(params, "output_format", "png", ("png", "webp"))
    # The negative prompt turns the palette away; more steps give more detailed ridges; a higher
    # guidance scale gives more saturated colours. None of it is meaningful, all of it visible.
    shift = rng_for("negative", negative).uniform(0.15, 0.35) if negative else 0.0
    vivid = min(1.2, 0.6 + guidance / 8.75)
    outputs = []
    for index in range(_integer(params, "num_images", 1, 1, 4)):
        rng = rng_for(job.model_id, prompt, seed, negative, index)
        hue = base_hue(prompt, rng) + shift
        image = render_image(prompt, rng, hue, size, detail=min(40, 3 + steps), vivid=vivid)
        data, content_type, extension = encode_image(image, output_format)
        outputs.append(_image_output(data, content_type, extension, size))
    return outputs


def _image_to_image(job: ProviderJob) -> list[ProviderOutput]:
    params = job.params
    prompt, seed = _text(params, "prompt"), _seed(params)
    size = image_size(params.get("image_size", "square_hd"))
    strength = _number(params, "strength", 0.85, 0.01, 1)
    output_format = _choice(params, "output_format", "png", ("png", "webp"))
    dark, light = tint_pair(prompt, seed)
    image = edit_image(open_image(_input(job, "image_url")), size, dark, light, strength)
    data, content_type, extension = encode_image(image, output_format)
    return [_image_output(data, content_type, extension, size)]


def _text_to_video(job: ProviderJob) -> list[ProviderOutput]:
    params = job.params
    prompt, seed = _text(params, "prompt"), _seed(params)
    rng = rng_for(job.model_id, prompt, seed)
    hue = base_hue(prompt, rng)
    return [_video_output(text_to_video(rng, hue, _frame_size(params), _duration(params)))]


def _image_to_video(job: ProviderJob) -> list[ProviderOutput]:
    params = job.params
    prompt, seed = _text(params, "prompt"), _seed(params)
    source = open_image(_input(job, "image_url"), max_side=1024)
    rng = rng_for(job.model_id, prompt, seed)
    return [_video_output(image_to_video(source, rng, _frame_size(params), _duration(params)))]


def _video_to_video(job: ProviderJob) -> list[ProviderOutput]:
    params = job.params
    prompt, seed = _text(params, "prompt"), _seed(params)
    strength = _number(params, "strength", 0.8, 0.01, 1)
    rng = rng_for(job.model_id, prompt, seed)
    hue = base_hue(prompt, rng)
    source = _input(job, "video_url")
    clip = video_to_video(source, rng, hue, tint_pair(prompt, seed), strength)
    return [_video_output(clip)]


def _text_to_audio(job: ProviderJob) -> list[ProviderOutput]:
    params = job.params
    prompt, seed = _text(params, "prompt"), _seed(params)
    seconds = _integer(params, "seconds_total", 3, 1, 30)
    data = render_melody(rng_for(job.model_id, prompt, seed), seconds)
    return [
        ProviderOutput(
            media_type=MediaType.AUDIO,
            content_type="audio/wav",
            extension="wav",
            data=data,
            duration=float(seconds),
        )
    ]


def _image_to_3d(job: ProviderJob) -> list[ProviderOutput]:
    params = job.params
    prompt, seed = _text(params, "prompt", ""), _seed(params)
    source = _input(job, "image_url")
    # No prompt, no tint: the texture shows as it is. A prompt tints it lightly.
    tint = mix(tint_pair(prompt, seed)[1], (255, 255, 255), 0.3) if prompt else (255, 255, 255)
    rng = rng_for(job.model_id, prompt, seed, hashlib.sha256(source).hexdigest())
    data = relief_glb(open_image(source, max_side=1024), rng, tint)
    return [
        ProviderOutput(
            media_type=MediaType.MODEL3D,
            content_type="model/gltf-binary",
            extension="glb",
            data=data,
        )
    ]


_MODELS: Mapping[str, tuple[Renderer, tuple[str, ...]]] = {
    "local/image": (_text_to_image, ()),
    "local/image-edit": (_image_to_image, ("image_url",)),
    "local/video": (_text_to_video, ()),
    "local/image-to-video": (_image_to_video, ("image_url",)),
    "local/video-to-video": (_video_to_video, ("video_url",)),
    "local/audio": (_text_to_audio, ()),
    "local/3d": (_image_to_3d, ("image_url",)),
}
"""Each model's renderer and the input files it cannot do without."""


def _image_output(
    data: bytes, content_type: str, extension: str, size: tuple[int, int]
) -> ProviderOutput:
    return ProviderOutput(
        media_type=MediaType.IMAGE,
        content_type=content_type,
        extension=extension,
        data=data,
        width=size[0],
        height=size[1],
    )


def _video_output(clip: Clip) -> ProviderOutput:
    return ProviderOutput(
        media_type=MediaType.VIDEO,
        content_type="video/mp4",
        extension="mp4",
        data=clip.data,
        width=clip.width,
        height=clip.height,
        duration=clip.seconds,
    )


# --- parameters: validated upstream, but checked again so a bad one fails clearly -------------


def _input(job: ProviderJob, name: str) -> bytes:
    """The bytes of the input file `name` (empty when there is none). Each renderer takes one
    source, so of a list of files (a list parameter) it takes the first, the one the person
    gave first; none of the offline models has a list parameter today."""
    given = first_file(job.inputs.get(name))
    return given.data if given is not None else b""


def _label(name: str) -> str:
    """A parameter as the studio labels it: `num_images` reads "Num images"."""
    return name.replace("_", " ").capitalize()


def _text(params: Mapping[str, Any], name: str, default: str | None = None) -> str:
    value = params.get(name, default)
    if value is None:
        value = default
    if not isinstance(value, str):
        raise BadInput(f"{_label(name)} is required and must be text")
    return value


def _seed(params: Mapping[str, Any]) -> int:
    value = params.get("seed")
    if value is None:
        return DEFAULT_SEED
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise BadInput(f"Seed must be a whole number of at least 0, not {value!r}")
    return value


def _integer(params: Mapping[str, Any], name: str, default: int, low: int, high: int) -> int:
    value = params.get(name, default)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise BadInput(f"{_label(name)} must be a whole number from {low} to {high}, not {value!r}")
    return value


def _number(params: Mapping[str, Any], name: str, default: float, low: float, high: float) -> float:
    value = params.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise BadInput(f"{_label(name)} must be a number from {low} to {high}, not {value!r}")
    return float(value)


def _choice(params: Mapping[str, Any], name: str, default: str, options: tuple[str, ...]) -> str:
    value = params.get(name, default)
    if value not in options:
        raise BadInput(f"{_label(name)} must be one of {', '.join(options)}, not {value!r}")
    return str(value)


def _frame_size(params: Mapping[str, Any]) -> tuple[int, int]:
    return SIZES[_choice(params, "aspect_ratio", "16:9", tuple(SIZES))]


def _duration(params: Mapping[str, Any]) -> int:
    """Seconds, given as fal gives them ("2"), or as a plain number."""
    value = params.get("duration", "2")
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 10:
        raise BadInput(f"Duration must be a number of seconds from 1 to 10, not {value!r}")
    return value
