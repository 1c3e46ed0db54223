"""What an operator or a CLI user reads when a value is wrong: one sentence naming the variable
(or option) and what it should be, never pydantic's internals ("Value error, ", a bare
`STUDIO_:`, "error parsing value for field … from source …"); a storage URL refused as a
setting, before anything connects; the container health check saying why it cannot look; and
a problem's detail whose field messages do not run into their separator (".;")."""

import os
import sys

import httpx
import pytest
from fastapi import FastAPI
from studio_assets.settings import AssetsSettings
from studio_cli import main
from studio_cli.errors import problem_error
from studio_contracts.templates import TemplateUpdate
from studio_gateway.settings import GatewaySettings
from studio_generation.settings import WorkerSettings
from studio_runtime import healthcheck
from studio_runtime.errors import install_error_handlers
from studio_runtime.settings import load_settings

SECRET = "x" * 40


def _refused(monkeypatch: pytest.MonkeyPatch, cls: type, **variables: str) -> str:
    for name in [v for v in os.environ if v.startswith("STUDIO_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("STUDIO_INTERNAL_SECRET", SECRET)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit) as stopped:
        load_settings(cls)
    said = str(stopped.value.code)
    assert said.startswith("Invalid configuration:\n  "), said
    assert "Traceback" not in said and "Value error" not in said, said
    return said


def test_a_value_that_is_not_json_names_its_variable_and_shows_an_example(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    said = _refused(monkeypatch, WorkerSettings, STUDIO_MODEL_DEADLINES_S="notjson")
    assert said == (
        "Invalid configuration:\n  STUDIO_MODEL_DEADLINES_S: not valid JSON "
        '(expected an object such as {"fal-ai/veo3.1": 1800})'
    )


def test_a_bad_entry_inside_a_json_value_is_named_by_its_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    said = _refused(monkeypatch, WorkerSettings, STUDIO_MODEL_DEADLINES_S='{"fal-ai/x": "slow"}')
    assert '  STUDIO_MODEL_DEADLINES_S["fal-ai/x"]: Input should be a valid number' in said


def test_a_check_of_several_settings_is_one_sentence_without_an_empty_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    said = _refused(monkeypatch, GatewaySettings, STUDIO_HOST="0.0.0.0")
    assert said.startswith("Invalid configuration:\n  STUDIO_AUTH_MODE=local has no sign-in"), said
    assert "STUDIO_:" not in said


def test_a_validators_sentence_is_shown_without_pydantics_prefix(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    said = _refused(monkeypatch, GatewaySettings, STUDIO_METRICS_NETWORKS="10.0.0.0/33")
    assert "  STUDIO_METRICS_NETWORKS: '10.0.0.0/33' does not appear to be" in said


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("bogus://x", "unsupported storage URL 'bogus://x': use file:///abs/path"),
        ("file://otherhost/x", "names a host"),
        ("s3://bucket?endpoint=http://h:9000", "needs an access key and a secret key"),
        ("s3://bucket?endpoint=ftp://h:9000&access_key=a&secret_key=hunter2", "S3 endpoint"),
    ],
)
def test_a_storage_url_the_store_would_refuse_is_a_bad_setting(
    monkeypatch: pytest.MonkeyPatch, url: str, reason: str
) -> None:
    """Refused as the services load their settings, before they connect to anything."""
    for cls in (AssetsSettings, WorkerSettings):
        said = _refused(monkeypatch, cls, STUDIO_STORAGE_URL=url)
        assert said.startswith("Invalid configuration:\n  STUDIO_STORAGE_URL: "), said
        assert reason in said
        assert "hunter2" not in said


def test_a_storage_url_with_its_keys_in_the_settings_loads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("STUDIO_INTERNAL_SECRET", SECRET)
    monkeypatch.setenv("STUDIO_STORAGE_URL", "s3://bucket?endpoint=http://h:9000")
    monkeypatch.setenv("STUDIO_STORAGE_ACCESS_KEY", "key")
    monkeypatch.setenv("STUDIO_STORAGE_SECRET_KEY", "secret")
    assert load_settings(AssetsSettings).storage_url == "s3://bucket?endpoint=http://h:9000"


def test_the_health_check_without_a_port_says_so(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("STUDIO_PORT", raising=False)
    assert healthcheck.main() == 1
    assert "not ready: STUDIO_PORT is not set" in capsys.readouterr().err
    monkeypatch.setenv("STUDIO_PORT", "http")
    assert healthcheck.main() == 1
    assert "not ready: STUDIO_PORT is 'http'" in capsys.readouterr().err


def _usage_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str
) -> str:
    monkeypatch.setattr(sys, "argv", ["studio", "--url", "http://studio.test", *args])
    with pytest.raises(SystemExit) as exited:
        main.run()
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "Value error" not in err and "Input should" not in err, err
    return err


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (
            ["models", "--quality", "bogus"],
            "Invalid value for '--quality': 'bogus' is not one of 'fast', 'standard', 'pro'.",
        ),
        (
            ["assets", "list", "--limit", "0"],
            "Invalid value for '--limit': Must be at least 1, not 0.",
        ),
        (
            ["assets", "list", "--limit", "many"],
            "Invalid value for '--limit': 'many' is not a whole number.",
        ),
        (["events", "-n", "0"], "Must be at least 1, not 0."),
    ],
)
def test_a_bad_option_value_is_a_plain_sentence(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    said: str,
) -> None:
    assert said in _usage_error(monkeypatch, capsys, *args)


async def test_field_messages_in_a_detail_do_not_run_into_the_separator() -> None:
    app = FastAPI()
    install_error_handlers(app)

    @app.patch("/templates/{template_id}")
    async def update(template_id: str, body: TemplateUpdate) -> None:
        raise AssertionError("refused before")

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.patch("/templates/t1", json={"name": None, "prompt": None})
    assert response.status_code == 422
    problem = response.json()
    null = "Must not be null. Leave the field out to keep it unchanged"
    assert [e["msg"] for e in problem["errors"]] == [f"{null}.", f"{null}."]
    assert problem["detail"] == f"body.name: {null}; body.prompt: {null}."
    # The CLI still knows the detail for a summary of the field errors: each printed once.
    error = problem_error(
        httpx.Response(
            422,
            json=problem,
            headers={"content-type": "application/problem+json"},
            request=httpx.Request("PATCH", "http://t/templates/t1"),
        )
    )
    assert error.message == problem["title"]
    assert error.lines == [f"  name: {null}.", f"  prompt: {null}."]


def test_a_summary_of_bare_messages_without_their_full_stops_is_known_as_one() -> None:
    problem = {
        "title": "Unprocessable Content",
        "detail": "Needs 1 image; Needs a prompt.",
        "errors": [
            {"loc": ["body", "input_asset_ids"], "msg": "Needs 1 image."},
            {"loc": ["body", "prompt"], "msg": "Needs a prompt."},
        ],
    }
    error = problem_error(
        httpx.Response(422, json=problem, request=httpx.Request("POST", "http://t/x"))
    )
    assert error.message == "Unprocessable Content"
    assert error.lines == ["  input_asset_ids: Needs 1 image.", "  prompt: Needs a prompt."]
