"""A POST that makes its thing once (`studio generate`, `studio projects create`).

The request carries an Idempotency-Key (`studio-cli-<random>`, one per command), so it is sent
again, with the same key, while the studio cannot be reached or a proxy in front of it says it
is away (502-504), for up to `OUTAGE_S`: an answer lost on its way back (a restart just after
the studio made the record, a gateway that gave up on a slow service which then carried the
request out) is answered again with the same record, never a second one.
"""

import time
import uuid
from typing import Any

import httpx

from studio_cli.client import StudioClient
from studio_cli.errors import CliError
from studio_cli.follow import OUTAGE_S


def post_once(client: StudioClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    """The record the POST made (the first time it got through); the last CliError when the
    studio stays away longer than `OUTAGE_S`, or refuses the request."""
    headers = {"Idempotency-Key": f"studio-cli-{uuid.uuid4().hex}"}
    lost_since: float | None = None
    delay = 0.5
    attempt = 0
    while True:
        attempt += 1
        try:
            made: dict[str, Any] = client.post(path, body, headers=headers)
            return made
        except CliError as exc:
            lost_since = lost_since or time.monotonic()
            away = time.monotonic() - lost_since
            if not (send_again(exc, repeat=attempt > 1) and away < OUTAGE_S):
                raise
            time.sleep(delay)
            delay = min(delay * 1.5, 3.0)


def send_again(exc: CliError, *, repeat: bool) -> bool:
    """Whether a request that failed so may be sent again as it is: the studio was not
    reached or its answer was lost, or a proxy in front said it is away (502-504); on a repeat,
    409 says the first request with the key is still being accepted."""
    if isinstance(exc.__cause__, httpx.TransportError):
        return True
    return exc.status in (502, 503, 504) or (repeat and exc.status == 409)
