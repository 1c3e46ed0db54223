import pytest
from studio_runtime.internal_auth import Identity, InvalidIdentity, sign_identity, verify_identity

SECRET = "s" * 40


def test_signed_identity_round_trips() -> None:
    token = sign_identity(Identity("user-1", "req-9"), SECRET)
    assert verify_identity(token, SECRET) == Identity("user-1", "req-9")


def test_token_signed_with_another_secret_is_refused() -> None:
    token = sign_identity(Identity("user-1"), "o" * 40)
    with pytest.raises(InvalidIdentity, match="signature"):
        verify_identity(token, SECRET)


def test_tampered_payload_is_refused() -> None:
    token = sign_identity(Identity("user-1"), SECRET)
    forged = sign_identity(Identity("admin"), SECRET).split(".")[0] + "." + token.split(".")[1]
    with pytest.raises(InvalidIdentity, match="signature"):
        verify_identity(forged, SECRET)


def test_expired_token_is_refused() -> None:
    token = sign_identity(Identity("user-1"), SECRET, ttl_s=5, now=1000)
    assert verify_identity(token, SECRET, now=1004).user_id == "user-1"
    with pytest.raises(InvalidIdentity, match="expired"):
        verify_identity(token, SECRET, now=1006)


@pytest.mark.parametrize("token", ["", "abc", ".", "a.", ".b", "!!!.###"])
def test_malformed_tokens_are_refused(token: str) -> None:
    with pytest.raises(InvalidIdentity):
        verify_identity(token, SECRET)
