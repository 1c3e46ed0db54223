"""What the catalog API does: find models, check a generation's parameters against one, and
list the starter templates and the model families it cannot offer. Raises the domain errors the API maps to problem responses."""

from collections.abc import Sequence

from studio_contracts.catalog import (
    ModelInfo,
    UnavailableFamily,
    ValidateParamsRequest,
    ValidateParamsResponse,
)
from studio_contracts.enums import GenerationType, Quality
from studio_contracts.params import ParamsInvalid, validate_params
from studio_contracts.templates import StarterTemplate
from studio_runtime.errors import InvalidInput, NotFound

from studio_catalog.catalog import Catalog


class CatalogService:
    def __init__(
        self,
        catalog: Catalog,
        starters: Sequence[StarterTemplate],
        unavailable: Sequence[UnavailableFamily] = (),
    ) -> None:
        self._catalog = catalog
        self._starters = list(starters)
        self._unavailable = list(unavailable)

    def search_json(
        self,
        *,
        type: GenerationType | None,
        provider: str | None,
        q: str | None,
        quality: Quality | None,
        available: bool | None,
        limit: int,
        offset: int,
    ) -> bytes:
        """The `{items, total}` page of matching models, as JSON (see `Catalog.search`)."""
        result = self._catalog.search(
            type=type,
            provider=provider,
            q=q,
            quality=quality,
            available=available,
            limit=limit,
            offset=offset,
        )
        return self._catalog.page_json(result)

    def model_json(self, model_id: str) -> bytes:
        body = self._catalog.model_json(model_id)
        if body is None:
            raise _not_found(model_id)
        return body

    def recommended(self, type: GenerationType | None) -> list[ModelInfo]:
        return self._catalog.recommended(type)

    def validate(self, model_id: str, body: ValidateParamsRequest) -> ValidateParamsResponse:
        model = self._catalog.get(model_id)
        if model is None:
            raise _not_found(model_id)
        try:
            return validate_params(model, body.type, body.params)
        except ParamsInvalid as exc:
            raise InvalidInput(exc.summary, errors=exc.errors) from exc

    def starters(self, type: GenerationType | None) -> list[StarterTemplate]:
        return [s for s in self._starters if type is None or s.type == type]

    def unavailable(self) -> list[UnavailableFamily]:
        return list(self._unavailable)


def _not_found(model_id: str) -> NotFound:
    return NotFound(f"No model with id {model_id} in the catalog.")
