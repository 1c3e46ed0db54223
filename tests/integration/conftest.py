"""Fixtures shared by the integration tests: a NATS connection, the assets service's stack."""

from collections.abc import AsyncIterator

import pytest
from nats.aio.client import Client as NatsClient

from tests.support.assets_stack import ASSETS_UPLOAD_LIMIT, AssetsStack, assets_stack
from tests.support.servers import S3Server, nats_connection


@pytest.fixture
async def nc(nats_url: str) -> AsyncIterator[NatsClient]:
    """A NATS connection of the test's own."""
    async with nats_connection(nats_url) as connection:
        yield connection


@pytest.fixture
async def stack(
    mongo_url: str,
    mongo_db_name: str,
    nats_url: str,
    nats_prefix: str,
    s3: S3Server,
    s3_bucket: str,
) -> AsyncIterator[AssetsStack]:
    """The projects and assets services (in this process) over the session's S3 server."""
    async with assets_stack(
        mongo_url=mongo_url,
        mongo_db_name=mongo_db_name,
        nats_url=nats_url,
        nats_prefix=nats_prefix,
        storage_url=f"s3://{s3_bucket}?endpoint={s3.endpoint}&region={s3.region}&public_endpoint={s3.endpoint}",
        storage_access_key=s3.access_key,
        storage_secret_key=s3.secret_key,
        upload_max_bytes=ASSETS_UPLOAD_LIMIT,
        max_image_pixels=4_000_000,
    ) as running_stack:
        yield running_stack
