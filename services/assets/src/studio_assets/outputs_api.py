"""The internal route the generation worker registers a job's outputs with.

Not part of the public API: the gateway has no route to it. The worker calls it with the
generation owner's signed identity before it completes the job, so that a generation seen as
`completed` has every output already served (docs/generation.md says why it is done this way).
"""

from fastapi import APIRouter, Request
from studio_contracts.assets import OutputsRegistration, RegisteredOutputs
from studio_runtime.deps import CurrentIdentity
from studio_runtime.errors import InvalidInput

from studio_assets.api import to_public
from studio_assets.service import AssetService

router = APIRouter(prefix="/internal/v1", tags=["internal"], include_in_schema=False)


@router.put("/generations/{generation_id}/outputs", response_model=RegisteredOutputs)
async def register_outputs(
    request: Request, generation_id: str, body: OutputsRegistration, identity: CurrentIdentity
) -> RegisteredOutputs:
    if body.generation_id != generation_id:
        raise InvalidInput("the body names another generation than the path")
    # The keys must be where the worker writes this generation's outputs: a caller cannot have
    # another user's (or another project's) objects registered as its own.
    prefix = f"{identity.user_id}/{body.project_id}/{generation_id}/"
    if any(not output.object_key.startswith(prefix) for output in body.outputs):
        raise InvalidInput("an output's object key is outside this generation's folder")
    service: AssetService = request.app.state.assets
    docs = await service.register_outputs(identity, body)
    return RegisteredOutputs(assets=[to_public(doc) for doc in docs])
