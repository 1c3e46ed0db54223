from pydantic import Field, SecretStr
from studio_runtime.resources import DataServiceAppSettings


class AssetsSettings(DataServiceAppSettings):
    port: int = Field(default=8004, ge=0, le=65535)
    mongo_db: str = Field(default="studio_assets", pattern=r"^[A-Za-z0-9_-]{1,63}$")
    storage_url: str = "file:.data/storage"
    """`file:///path` (a directory) or `s3://bucket?endpoint=http://host:9000[&region=…]
    [&public_endpoint=https://…]`; S3 credentials come from the two settings below."""
    storage_access_key: str = ""
    storage_secret_key: SecretStr = SecretStr("")
    upload_max_bytes: int = Field(default=50 * 1024 * 1024, ge=1)
    max_image_pixels: int = Field(default=64_000_000, ge=1)
    """Larger images are refused as possible decompression bombs."""
    thumbnail_max_px: int = Field(default=512, ge=16, le=4096)
    presign_expiry_s: int = Field(default=900, ge=1, le=7 * 24 * 3600)
    projects_url: str = "http://127.0.0.1:8001"
    """Where to check that a project exists and belongs to the caller."""
