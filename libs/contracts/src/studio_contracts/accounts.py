"""The gateway's public shapes for accounts, sessions and API tokens."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

PASSWORD_MIN = 10
PASSWORD_MAX = 256

Email = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True,
        to_lower=True,
        min_length=3,
        max_length=254,
        pattern=r"^[^@\s]+@[^@\s]+$",
    ),
]
"""An address with one `@`; stored lower-cased, so sign-in ignores case."""

Password = Annotated[str, Field(min_length=PASSWORD_MIN, max_length=PASSWORD_MAX)]
TokenName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class SignUp(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Email
    password: Password
    display_name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] = ""


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


class Session(BaseModel):
    """The answer to sign-up and log-in; the session itself is the HttpOnly cookie."""

    user: User
    csrf_token: str
    expires_at: datetime


class TokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: TokenName
    expires_in_days: int | None = Field(default=None, ge=1, le=3650)


class ApiToken(BaseModel):
    id: str
    name: str
    prefix: str = Field(description="The token's first characters, to recognise it")
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None


class NewApiToken(ApiToken):
    token: str = Field(description="The secret itself: shown once, never again")
