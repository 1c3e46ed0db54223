"""How the generation worker registers a job's outputs: a NATS call, or an internal route.

Not part of the public API: the gateway has no route to either. The worker calls with the
generation owner's signed identity before it completes the job, so that a generation seen as
`completed` has every output already served (docs/generation.md says why it is done this way).
It asks over NATS first (`ASSETS_REGISTER_OUTPUTS`, half the cost of an HTTP call on the
generation's critical path) and over HTTP when no assets service takes the call there.
"""

from fastapi import APIRouter
from nats.aio.client import Client as NATS
from studio_contracts.assets import OutputsRegistration, RegisteredOutputs
from studio_contracts.subjects import ASSETS_REGISTER_OUTPUTS
from studio_runtime.deps import CurrentIdentity
from studio_runtime.errors import InvalidInput
from studio_runtime.internal_auth import Identity
from studio_runtime.rpc import Responder

from studio_assets.api import Assets
from studio_assets.service import AssetService

router = APIRouter(prefix="/internal/v1", tags=["internal"], include_in_schema=False)


@router.put("/generations/{generation_id}/outputs", response_model=RegisteredOutputs)
async def register_outputs(
    generation_id: str, body: OutputsRegistration, identity: CurrentIdentity, assets: Assets
) -> RegisteredOutputs:
    if body.generation_id != generation_id:
        raise InvalidInput("the body names another generation than the path")
    return RegisteredOutputs(assets=await assets.register_outputs(identity, body))


def responder(nc: NATS, assets: AssetService, *, secret: str, prefix: str) -> Responder:
    """The same registration, answered over NATS (start it; stop it before the service)."""

    async def register(identity: Identity, body: bytes) -> bytes:
        registration = OutputsRegistration.model_validate_json(body)
        registered = RegisteredOutputs(assets=await assets.register_outputs(identity, registration))
        return registered.model_dump_json().encode()

    return Responder(
        nc, ASSETS_REGISTER_OUTPUTS, register, service="assets", secret=secret, prefix=prefix
    )
