"""Which models a server can run, from its settings: hosted ones only with a fal key."""

import pytest
from studio_catalog.availability import configured_runtimes, with_availability
from studio_catalog.datafile import load_models
from studio_catalog.settings import CatalogSettings
from studio_contracts.enums import GenerationType
from studio_contracts.params import ParamsInvalid, validate_params

from tests.support.apps import make_settings

MODELS = load_models()
SECRET = "s" * 32


def test_without_a_key_only_local_models_are_available() -> None:
    settings = make_settings(CatalogSettings)
    assert settings.hosted_models_configured is False
    marked = with_availability(MODELS, configured_runtimes(settings))
    assert {m.runtime for m in marked if m.available} == {"local"}
    assert all(not m.available for m in marked if m.runtime == "fal")


def test_the_explicit_setting_wins_over_the_key() -> None:
    configured = make_settings(CatalogSettings, fal_configured=True)
    assert configured.hosted_models_configured is True
    assert all(m.available for m in with_availability(MODELS, configured_runtimes(configured)))
    refused = make_settings(CatalogSettings, fal_configured=False, fal_key="fal-key")
    assert refused.hosted_models_configured is False


@pytest.mark.parametrize("variable", ["FAL_KEY", "STUDIO_FAL_KEY"])
def test_a_key_in_the_environment_configures_hosted_models_and_stays_secret(
    variable: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("FAL_KEY", "STUDIO_FAL_KEY", "STUDIO_FAL_CONFIGURED"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("STUDIO_INTERNAL_SECRET", SECRET)
    assert CatalogSettings().hosted_models_configured is False
    monkeypatch.setenv(variable, "  ")
    assert CatalogSettings().hosted_models_configured is False  # blank is no key
    monkeypatch.setenv(variable, "fal-secret-value")
    settings = CatalogSettings()
    assert settings.hosted_models_configured is True
    assert "fal-secret-value" not in repr(settings)
    assert "fal-secret-value" not in settings.model_dump_json()
    monkeypatch.setenv("STUDIO_FAL_CONFIGURED", "false")
    assert CatalogSettings().hosted_models_configured is False


def test_validation_refuses_an_unavailable_model_at_the_model_id() -> None:
    flux = next(m for m in MODELS if m.id == "fal-ai/flux/dev")
    unavailable = flux.model_copy(update={"available": False})
    with pytest.raises(ParamsInvalid) as caught:
        validate_params(unavailable, GenerationType.TEXT_TO_IMAGE, {"prompt": "a fox"})
    [error] = caught.value.errors
    assert error.loc == ["body", "model_id"]
    assert error.type == "provider_not_configured"
    assert "FAL_KEY" in error.msg
    assert "model_id" in caught.value.summary
    # The same model, runnable, passes.
    validate_params(flux, GenerationType.TEXT_TO_IMAGE, {"prompt": "a fox"})
