"""What services ask each other, one client per service asked: projects (does this project
exist and belong to the caller?), the catalog (is this request valid, with which defaults?) and
assets (do these inputs exist, what are they, take these outputs; which image outputs does a
project have left, asked by projects for a cover).

All of them here, whoever calls them (projects is asked by assets and generation), so a second
caller of a service reuses its client instead of writing another. They speak HTTP through
`InternalService`, which signs the caller's identity; the one call on a generation's critical
path (take these outputs) goes over NATS request-reply first (`studio_runtime.rpc`)."""

from typing import Any

from cachetools import TTLCache
from studio_contracts.assets import Asset, OutputsRegistration, RegisteredOutputs
from studio_contracts.catalog import ModelInfo, ValidateParamsResponse
from studio_contracts.dtos import CursorPage
from studio_contracts.enums import GenerationType
from studio_contracts.params import ParamsInvalid, validate_params
from studio_contracts.problems import FieldError
from studio_contracts.subjects import ASSETS_REGISTER_OUTPUTS

from studio_runtime.errors import InvalidInput, ServiceUnavailable, not_yours
from studio_runtime.internal_auth import Identity
from studio_runtime.internal_http import InternalService
from studio_runtime.rpc import NotDelivered, RpcClient


class ProjectsClient:
    """Asks the projects service whether a project exists and belongs to the caller."""

    def __init__(self, service: InternalService) -> None:
        self._service = service

    async def require_project(self, identity: Identity, project_id: str) -> None:
        response = await self._service.request("GET", f"/api/v1/projects/{project_id}", identity)
        if response.status_code == 404:
            raise not_yours("project", project_id)
        if response.status_code != 200:
            raise ServiceUnavailable(
                f"the projects service answered {response.status_code}; try again"
            )


class CatalogClient:
    """Validates requests against the catalog's model schemas.

    Models are fetched once and kept for `ttl_s` (the catalog changes only when it is
    redeployed), and validation runs here on them: accepting a generation costs no call to the
    catalog service."""

    def __init__(self, service: InternalService, *, ttl_s: float = 300) -> None:
        self._service = service
        # The catalog holds a few dozen models; only those it has are kept.
        self._models: TTLCache[str, ModelInfo] = TTLCache(maxsize=1024, ttl=ttl_s)

    async def validate(
        self,
        identity: Identity,
        model_id: str,
        generation_type: GenerationType,
        params: dict[str, Any],
    ) -> ValidateParamsResponse:
        """The normalised parameters, or InvalidInput with one error per bad field."""
        model = await self._model(identity, model_id)
        try:
            return validate_params(model, generation_type, params)
        except ParamsInvalid as exc:
            raise InvalidInput(exc.summary, errors=[_from_catalog(e) for e in exc.errors]) from exc

    async def _model(self, identity: Identity, model_id: str) -> ModelInfo:
        cached = self._models.get(model_id)
        if cached is not None:
            return cached
        response = await self._service.request("GET", f"/api/v1/models/{model_id}", identity)
        if response.status_code == 404:
            raise InvalidInput(
                f"No model with id {model_id} in the catalog.",
                errors=[
                    FieldError(
                        loc=["body", "model_id"],
                        msg="Not a model in the catalog.",
                        type="unknown_model",
                    )
                ],
            )
        if response.status_code != 200:
            raise ServiceUnavailable(f"the catalog answered {response.status_code}; try again")
        model = ModelInfo.model_validate_json(response.content)
        # A model this server cannot run yet is asked for again next time, so a catalog
        # restarted with a fal key is believed at once (such requests are refused anyway).
        if model.available:
            self._models[model_id] = model
        return model


class AssetsClient:
    """Asks the assets service over HTTP; with `calls`, registers outputs over NATS first."""

    def __init__(self, service: InternalService, calls: RpcClient | None = None) -> None:
        self._service = service
        self._calls = calls

    async def get(self, identity: Identity, asset_id: str) -> Asset | None:
        response = await self._service.request("GET", f"/api/v1/assets/{asset_id}", identity)
        if response.status_code == 200:
            return Asset.model_validate_json(response.content)
        if response.status_code in (404, 422):
            return None
        raise ServiceUnavailable(f"the assets service answered {response.status_code}; try again")

    async def newest_image_outputs(
        self, identity: Identity, project_id: str, *, limit: int
    ) -> list[Asset]:
        """The project's newest image outputs, newest first (none for a project that is not the
        caller's, or no longer exists)."""
        response = await self._service.request(
            "GET",
            "/api/v1/assets",
            identity,
            params={
                "project_id": project_id,
                "kind": "output",
                "media_type": "image",
                "limit": limit,
            },
        )
        if response.status_code == 200:
            return CursorPage[Asset].model_validate_json(response.content).items
        if response.status_code == 404:
            return []
        raise ServiceUnavailable(f"the assets service answered {response.status_code}; try again")

    async def content(self, identity: Identity, asset_id: str, *, max_bytes: int) -> bytes:
        """The asset's bytes (inputs are small: reference images and short clips)."""
        async with self._service.stream(
            "GET", f"/api/v1/assets/{asset_id}/content", identity
        ) as response:
            if response.status_code != 200:
                raise LookupError(
                    f"input asset {asset_id} is not available ({response.status_code})"
                )
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    raise ValueError(f"input asset {asset_id} is larger than {max_bytes} bytes")
                chunks.append(chunk)
            return b"".join(chunks)

    async def delete(self, identity: Identity, asset_id: str) -> None:
        await self._service.request("DELETE", f"/api/v1/assets/{asset_id}", identity)

    async def register_outputs(
        self, identity: Identity, registration: OutputsRegistration
    ) -> list[Asset]:
        """Have the assets service record the outputs (and make their thumbnails) before the
        generation is completed, so a completed generation's outputs are always served; returns
        the assets as recorded. Over NATS when it can (on a generation's critical path, and
        half the cost of an HTTP call); over HTTP when no assets service takes the call there
        (the broker is away, or the assets service is of a version without it)."""
        if self._calls is not None:
            try:
                answer = await self._calls.call(
                    ASSETS_REGISTER_OUTPUTS, identity, registration.model_dump_json().encode()
                )
            except NotDelivered:
                pass
            else:
                return RegisteredOutputs.model_validate_json(answer).assets
        response = await self._service.request(
            "PUT",
            f"/internal/v1/generations/{registration.generation_id}/outputs",
            identity,
            json=registration.model_dump(mode="json"),
        )
        if response.status_code != 200:
            raise ServiceUnavailable(
                f"the assets service could not register the outputs ({response.status_code})"
            )
        return RegisteredOutputs.model_validate_json(response.content).assets


def _from_catalog(error: FieldError) -> FieldError:
    """The catalog names the prompt `params.prompt`; our callers sent it as `prompt`. Other
    locations are the caller's own already (`body.type`, `body.model_id` for a model this server
    cannot run, `body.params.<name>`)."""
    if error.loc == ["body", "params", "prompt"]:
        msg = "This model takes no prompt." if error.type == "unknown_parameter" else error.msg
        return FieldError(loc=["body", "prompt"], msg=msg, type=error.type)
    return error
