"""The internal route the generation worker registers a job's outputs with.

Not part of the public API: the gateway has no route to it. The worker calls it with the
generation owner's signed identity before it completes the job, so that a generation seen as
`completed` has every output already served (docs/generation.md says why it is done this way).
"""

from fastapi import APIRouter
from studio_contracts.assets import OutputsRegistration, RegisteredOutputs
from studio_runtime.deps import CurrentIdentity
from studio_runtime.errors import InvalidInput

from studio_assets.api import Assets

router = APIRouter(prefix="/internal/v1", tags=["internal"], include_in_schema=False)


@router.put("/generations/{generation_id}/outputs", response_model=RegisteredOutputs)
async def register_outputs(
    generation_id: str, body: OutputsRegistration, identity: CurrentIdentity, assets: Assets
) -> RegisteredOutputs:
    if body.generation_id != generation_id:
        raise InvalidInput("the body names another generation than the path")
    return RegisteredOutputs(assets=await assets.register_outputs(identity, body))
