"""Which models this server can run: local ones always, hosted ones only with a provider key.

Decided once at start-up from the settings and carried on every model (`available`), so the
studio can show hosted models as needing a key, and validation (here and in the generation API,
which reads the same model data) refuses them at once instead of failing them later."""

from collections.abc import Iterable

from studio_contracts.catalog import ModelInfo

from studio_catalog.settings import CatalogSettings

Runtime = str


def configured_runtimes(settings: CatalogSettings) -> frozenset[Runtime]:
    runtimes = {"local"}
    if settings.hosted_models_configured:
        runtimes.add("fal")
    return frozenset(runtimes)


def with_availability(
    models: Iterable[ModelInfo], configured: frozenset[Runtime]
) -> list[ModelInfo]:
    return [m.model_copy(update={"available": m.runtime in configured}) for m in models]
