from pydantic import Field
from studio_runtime.resources import DataServiceAppSettings
from studio_storage import StorageSettings


class AssetsSettings(DataServiceAppSettings, StorageSettings):
    port: int = Field(default=8004, ge=0, le=65535)
    mongo_db: str = Field(default="studio_assets", pattern=r"^[A-Za-z0-9_-]{1,63}$")
    upload_max_bytes: int = Field(default=50 * 1024 * 1024, ge=1)
    max_image_pixels: int = Field(default=64_000_000, ge=1)
    """Larger images are refused as possible decompression bombs."""
    thumbnail_max_px: int = Field(default=512, ge=16, le=4096)
    image_decodes: int = Field(default=2, ge=1, le=64)
    """How many images, videos and sounds are decoded at once (the rest wait their turn): an
    image at `max_image_pixels` takes up to ~0.5 GB while it is decoded, whatever its file's size."""
    presign_expiry_s: int = Field(default=900, ge=1, le=7 * 24 * 3600)
    announce_interval_s: float = Field(default=2, gt=0)
    """How often `asset.created` events the broker refused are published again."""
    projects_url: str = "http://127.0.0.1:8001"
    """Where to check that a project exists and belongs to the caller."""
