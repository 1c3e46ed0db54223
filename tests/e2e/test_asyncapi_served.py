"""The generation service serves the events' AsyncAPI document, the same one docs/ holds."""

import json
from pathlib import Path

from tests.support.full_stack import Servers, full_stack

ROOT = Path(__file__).parents[2]


async def test_the_generation_service_serves_the_checked_in_document(
    servers: Servers, tmp_path: Path
) -> None:
    async with (
        full_stack(servers, storage_url=(tmp_path / "s").as_uri(), workers=0) as stack,
        stack.service("generation", "user-1") as generation,
    ):
        served = await generation.get("/asyncapi.json")
        assert served.status_code == 200
        assert served.headers["content-type"] == "application/json"
        checked_in = json.loads((ROOT / "docs" / "asyncapi.json").read_text())
        assert served.json() == checked_in
        # Behind the gateway's signed identity like every other route of the service.
        async with stack.service("generation", "user-1") as signed:
            signed.headers.clear()
            assert (await signed.get("/asyncapi.json")).status_code == 401
