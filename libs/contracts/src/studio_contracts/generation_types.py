"""The seven generation types as the studio presents them: what goes in, what comes out."""

from studio_contracts.catalog import GenerationTypeInfo
from studio_contracts.enums import GenerationType, MediaType

GENERATION_TYPES: tuple[GenerationTypeInfo, ...] = (
    GenerationTypeInfo(
        id=GenerationType.TEXT_TO_IMAGE, label="Text to image", inputs=[], output=MediaType.IMAGE
    ),
    GenerationTypeInfo(
        id=GenerationType.IMAGE_TO_IMAGE,
        label="Image to image",
        inputs=[MediaType.IMAGE],
        output=MediaType.IMAGE,
    ),
    GenerationTypeInfo(
        id=GenerationType.TEXT_TO_VIDEO, label="Text to video", inputs=[], output=MediaType.VIDEO
    ),
    GenerationTypeInfo(
        id=GenerationType.IMAGE_TO_VIDEO,
        label="Image to video",
        inputs=[MediaType.IMAGE],
        output=MediaType.VIDEO,
    ),
    GenerationTypeInfo(
        id=GenerationType.VIDEO_TO_VIDEO,
        label="Video to video",
        inputs=[MediaType.VIDEO],
        output=MediaType.VIDEO,
    ),
    GenerationTypeInfo(
        id=GenerationType.TEXT_TO_AUDIO, label="Text to audio", inputs=[], output=MediaType.AUDIO
    ),
    GenerationTypeInfo(
        id=GenerationType.IMAGE_TO_3D,
        label="Image to 3D",
        inputs=[MediaType.IMAGE],
        output=MediaType.MODEL3D,
    ),
)

GENERATION_TYPE_INFO: dict[GenerationType, GenerationTypeInfo] = {t.id: t for t in GENERATION_TYPES}
