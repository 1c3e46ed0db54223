"""The in-memory catalog: lookups, search and filters over the validated models."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from studio_contracts.catalog import ModelInfo
from studio_contracts.enums import GenerationType, Quality


class CatalogError(ValueError):
    """The loaded models break a catalog-wide rule (e.g. a type with no model)."""


@dataclass(frozen=True)
class SearchResult:
    items: list[ModelInfo]
    total: int


class Catalog:
    def __init__(self, models: Iterable[ModelInfo]) -> None:
        ordered = sorted(
            models,
            key=lambda m: (m.provider.id == "local", m.provider.name.lower(), m.name.lower()),
        )
        self._models: dict[str, ModelInfo] = {m.id: m for m in ordered}
        self._haystacks = {
            m.id: " ".join((m.name, m.id, m.provider.id, m.provider.name, m.description)).lower()
            for m in ordered
        }
        # Models never change after start-up, so each is serialised once.
        self._json = {m.id: m.model_dump_json().encode() for m in ordered}
        self._check_coverage()

    def __len__(self) -> int:
        return len(self._models)

    @property
    def models(self) -> Sequence[ModelInfo]:
        return list(self._models.values())

    def get(self, model_id: str) -> ModelInfo | None:
        return self._models.get(model_id)

    def search(
        self,
        *,
        type: GenerationType | None = None,
        provider: str | None = None,
        q: str | None = None,
        quality: Quality | None = None,
        available: bool | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> SearchResult:
        """Models matching every given filter; `q` words must each appear in name, id, provider
        or description (case-insensitive). `total` counts all matches, whatever the page."""
        words = q.lower().split() if q else []
        matches = [
            m
            for m in self._models.values()
            if (type is None or type in m.types)
            and (provider is None or m.provider.id == provider)
            and (quality is None or m.quality == quality)
            and (available is None or m.available == available)
            and all(word in self._haystacks[m.id] for word in words)
        ]
        return SearchResult(items=matches[offset : offset + limit], total=len(matches))

    def page_json(self, result: SearchResult) -> bytes:
        """The `{items, total}` page as JSON, from the models' pre-serialised forms."""
        items = b",".join(self._json[m.id] for m in result.items)
        return b'{"items":[%s],"total":%d}' % (items, result.total)

    def model_json(self, model_id: str) -> bytes | None:
        return self._json.get(model_id)

    def recommended(self, type: GenerationType | None = None) -> list[ModelInfo]:
        """Recommended models: those this server can run first (so a studio without a fal key
        offers an offline model first), and among those hosted ones before the local ones."""
        chosen = [
            m for m in self._models.values() if m.recommended and (type is None or type in m.types)
        ]
        return sorted(chosen, key=lambda m: (not m.available, m.runtime == "local"))

    def _check_coverage(self) -> None:
        for generation_type in GenerationType:
            candidates = [m for m in self._models.values() if generation_type in m.types]
            if not candidates:
                raise CatalogError(f"no model offers {generation_type}")
            if not any(m.recommended for m in candidates):
                raise CatalogError(f"no recommended model for {generation_type}")
