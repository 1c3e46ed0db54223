"""Enumerations every service agrees on."""

from enum import StrEnum


class GenerationType(StrEnum):
    """What a generation turns into what: the seven kinds of work the studio offers."""

    TEXT_TO_IMAGE = "text-to-image"
    IMAGE_TO_IMAGE = "image-to-image"
    TEXT_TO_VIDEO = "text-to-video"
    IMAGE_TO_VIDEO = "image-to-video"
    VIDEO_TO_VIDEO = "video-to-video"
    TEXT_TO_AUDIO = "text-to-audio"
    IMAGE_TO_3D = "image-to-3d"


class MediaType(StrEnum):
    """The kind of media a file holds; also a generation's output kind."""

    IMAGE = "image"
    VIDEO = "video"
    AUDIO = "audio"
    MODEL3D = "model3d"


class GenerationStatus(StrEnum):
    PENDING = "pending"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def is_terminal(self) -> bool:
        return self in _TERMINAL


_TERMINAL = frozenset(
    {GenerationStatus.COMPLETED, GenerationStatus.FAILED, GenerationStatus.CANCELLED}
)


class Quality(StrEnum):
    """A model's badge in the model dialog: how it trades speed for fidelity."""

    FAST = "fast"
    STANDARD = "standard"
    PRO = "pro"
