"""The request headers a forward passes on to a service, checked first.

A header value reaches the gateway as bytes, decoded as latin-1; the call to the service encodes
it as ASCII again, so a byte outside ASCII (`Accept: é/é`, an `Idempotency-Key` in Cyrillic)
would fail there, as a 500. No header the services read (media types, ranges, entity tags,
dates, event ids, idempotency keys) has a meaning outside ASCII: such a value is refused, 400,
naming the header. So is a second `Idempotency-Key` (422): which of the two the client meant
cannot be told, and keeping either would make a retry create a second generation.
"""

from starlette.datastructures import Headers
from studio_contracts.problems import FieldError
from studio_runtime.errors import DomainError, InvalidInput

FORWARDED_REQUEST_HEADERS = (
    "content-type",
    "accept",
    "idempotency-key",
    "range",
    "if-none-match",
    "if-match",
    "if-modified-since",
    "last-event-id",
)


class BadRequest(DomainError):
    status = 400
    code = "bad-request"


def forwarded_headers(headers: Headers) -> dict[str, str]:
    """The `FORWARDED_REQUEST_HEADERS` among `headers`; BadRequest if one is not ASCII,
    InvalidInput if `Idempotency-Key` is sent more than once."""
    if len(headers.getlist("idempotency-key")) > 1:
        raise InvalidInput(
            "Send one Idempotency-Key header, not several: which one is meant cannot be told.",
            errors=[
                FieldError(
                    loc=["header", "idempotency-key"], msg="Send it once.", type="header_repeated"
                )
            ],
        )
    forwarded = {name: headers[name] for name in FORWARDED_REQUEST_HEADERS if name in headers}
    for name, value in forwarded.items():
        require_ascii(name, value)
    return forwarded


def require_ascii(name: str, value: str | None) -> None:
    """BadRequest naming header `name` (lower-case) if its `value` (as Starlette decodes it,
    latin-1) holds a byte outside ASCII."""
    if value is not None and not value.isascii():
        raise BadRequest(
            f"The {name} header holds characters that are not ASCII; send it as ASCII text.",
            errors=[FieldError(loc=["header", name], msg="Must be ASCII text.", type="not_ascii")],
        )
