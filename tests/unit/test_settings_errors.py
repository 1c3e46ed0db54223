"""A bad configuration value stops a service with one line per variable, named as it is set,
and never echoes the value: an internal secret's would land in the logs."""

import pytest
from studio_gateway.settings import GatewaySettings
from studio_generation.settings import WorkerSettings
from studio_runtime.settings import load_settings

SECRET = "x" * 40


def test_each_bad_variable_is_named_with_what_it_should_be(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("STUDIO_INTERNAL_SECRET", "short-secret")
    monkeypatch.setenv("STUDIO_AUTH_MODE", "foo")
    with pytest.raises(SystemExit) as stopped:
        load_settings(GatewaySettings)
    said = str(stopped.value.code)
    assert said.startswith("Invalid configuration:\n")
    assert "  STUDIO_INTERNAL_SECRET: Should be at least 32 characters long" in said
    assert "  STUDIO_AUTH_MODE: Input should be 'local' or 'accounts'" in said
    assert "short-secret" not in said and "foo" not in said
    assert "Traceback" not in said


def test_a_value_that_is_not_json_is_named_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STUDIO_INTERNAL_SECRET", SECRET)
    monkeypatch.setenv("STUDIO_MODEL_DEADLINES_S", "{bad")
    with pytest.raises(SystemExit) as stopped:
        load_settings(WorkerSettings)
    said = str(stopped.value.code)
    assert said.startswith("Invalid configuration:")
    assert "STUDIO_MODEL_DEADLINES_S: not valid JSON" in said


def test_good_values_load(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STUDIO_INTERNAL_SECRET", SECRET)
    monkeypatch.setenv("STUDIO_AUTH_MODE", "accounts")
    assert load_settings(GatewaySettings).auth_mode == "accounts"
