"""End-to-end fixtures shared by several files of this folder."""

from collections.abc import AsyncIterator

import httpx
import pytest

from tests.support.assets_stack import gateway_over_assets


@pytest.fixture
async def gateway(
    mongo_url: str, mongo_db_name: str, nats_url: str, nats_prefix: str, tmp_path: object
) -> AsyncIterator[httpx.AsyncClient]:
    """A client of a gateway in front of the projects and assets services (no generation).
    A file that needs another gateway defines its own `gateway` (test_gateway_catalog.py)."""
    async with gateway_over_assets(
        mongo_url, mongo_db_name, nats_url, nats_prefix, tmp_path
    ) as client:
        yield client
