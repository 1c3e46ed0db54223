"""The gateway's public shapes for accounts, sessions and API tokens."""

from datetime import datetime
from typing import Annotated, Literal

from email_validator import EmailNotValidError, validate_email
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    StringConstraints,
    field_validator,
)

from studio_contracts.text import SingleLine

PASSWORD_MIN = 10
PASSWORD_MAX = 256


def _real_address(value: str) -> str:
    """Checked by a real address parser (email-validator, as pydantic's EmailStr): no dot at the
    start or twice in a row, no markup, nothing after the address; then normalised (domain in
    IDNA form, Unicode NFC) and lower-cased, so sign-in ignores case."""
    try:
        # Nothing is ever mailed, so deliverability is not checked; `.test` addresses (tests,
        # demo installs) are allowed.
        checked = validate_email(value, check_deliverability=False, test_environment=True)
    except EmailNotValidError as exc:
        raise ValueError(str(exc)) from None
    return checked.normalized.lower()


Email = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=3, max_length=254),
    SingleLine,
    AfterValidator(_real_address),
    Field(json_schema_extra={"format": "email"}),
]
"""An e-mail address, validated and normalised; stored lower-cased."""
DisplayName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=100),
    SingleLine,
]

Password = Annotated[str, Field(min_length=PASSWORD_MIN, max_length=PASSWORD_MAX)]
TokenName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), SingleLine
]


class SignUp(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Email
    password: Password
    display_name: DisplayName = ""

    @field_validator("password")
    @classmethod
    def _not_blank(cls, password: str) -> str:
        # Twelve spaces have the length and none of the secret.
        if not password.strip():
            raise ValueError("Must hold more than spaces.")
        return password


class LogIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Email
    password: Annotated[str, Field(min_length=1, max_length=PASSWORD_MAX)]


class User(BaseModel):
    id: str
    email: str | None = Field(description="None for the local user of a one-person install")
    display_name: str
    created_at: datetime


class Me(BaseModel):
    user: User
    auth_mode: Literal["local", "accounts"]
    authenticated_by: Literal["local", "session", "token"]
    csrf_token: str | None = Field(
        default=None,
        description="With a session cookie: send it back as `X-CSRF-Token` on every request "
        "that changes something",
    )
    upload_max_bytes: int = Field(
        description="The largest file this server takes as an upload, in bytes (a larger one "
        "is refused with 413): the studio says so before sending it"
    )


class Session(BaseModel):
    """The answer to sign-up and log-in; the session itself is the HttpOnly cookie."""

    user: User
    csrf_token: str
    expires_at: datetime


class TokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: TokenName
    # Strict: `true` or `"30"` is refused, not read as 1 or 30 days.
    expires_in_days: StrictInt | None = Field(default=None, ge=1, le=3650)


class ApiToken(BaseModel):
    id: str
    name: str
    prefix: str = Field(description="The token's first characters, to recognise it")
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None


class NewApiToken(ApiToken):
    token: str = Field(description="The secret itself: shown once, never again")
