"""Secrets never reach a log line: `redact` masks every shape of credential wherever it occurs,
and leaves everything else exactly as it was."""

from studio_runtime.logging import REDACTED, redact

TOKEN = "sst_0123456789abcdef01234567.Zx9_-secretsecretsecret"
COOKIE = "0123456789abcdef01234567.AbCdEfGhIjKlMnOpQrSt"
IDENTITY = "eyJzdWIiOiJ1c2VyLTEifQ.c2lnbmF0dXJlc2lnbmF0dXJl"


def clean(**event: object) -> dict[str, object]:
    result: dict[str, object] = redact(None, "info", dict(event))
    return result


def test_each_shape_is_masked_inside_any_text() -> None:
    event = clean(
        token=f"x {TOKEN} y",  # a sensitive key: the whole value goes
        message=f"got {TOKEN} then cookie {COOKIE}",
        header=f"x-studio-identity was {IDENTITY}",
        authorization_line="Authorization: BEARER abc.def-ghi",
        command='{"find": "users", "password_hash": "scrypt$abc", "email": "a@b.c"}',
        nested={"list": [f"t={TOKEN}", 7], "Password": "hunter2"},
    )

    text = repr(event)
    for secret in (TOKEN, COOKIE, IDENTITY, "abc.def-ghi", "scrypt$abc", "hunter2", "secretsecret"):
        assert secret not in text, secret
    assert event["token"] == REDACTED
    assert event["message"] == f"got {REDACTED} then cookie {REDACTED}"
    assert event["authorization_line"] == f"Authorization: BEARER {REDACTED}"
    assert '"email": "a@b.c"' in str(event["command"])


def test_values_without_a_secret_are_left_exactly_as_they_were() -> None:
    event = {
        "event": "request.handled",
        "method": "POST",
        "path": "/api/v1/projects/0123456789abcdef01234567/generations",
        "status": 202,
        "ms": 3.21,
        "request_id": "0123456789abcdef0123456789abcdef",
        "tags": ["a", "b"],
        "empty_secret": "",
    }

    assert clean(**event) == event
