"""`studio login|logout|whoami`: an API token for this machine, kept in the config file."""

import os
import platform
import sys
from typing import Annotated, Any

import httpx
import typer

from studio_cli.client import API, StudioClient
from studio_cli.config import Target, forget_credential, store_credential, stored_credential
from studio_cli.errors import SIGN_IN_HINT, CliError, ExitCode
from studio_cli.output import note, print_json, print_line
from studio_cli.session import JsonFlag, open_client, target_of

SESSION_COOKIE = "studio_session"


def login(
    ctx: typer.Context,
    email: Annotated[
        str | None,
        typer.Option(envvar="STUDIO_EMAIL", metavar="EMAIL", help="Asked for when not given."),
    ] = None,
    # No `--password VALUE`: a password on the command line stays in the shell's history and
    # shows in `ps`. It comes from stdin, STUDIO_PASSWORD or the prompt.
    password_stdin: Annotated[
        bool,
        typer.Option(
            "--password-stdin",
            help="Read the password from the first line of stdin; without this flag, from "
            "STUDIO_PASSWORD, else asked for.",
        ),
    ] = False,
    token_name: Annotated[
        str, typer.Option(metavar="NAME", help="Name of the API token, as listed in the studio.")
    ] = f"studio-cli on {platform.node() or 'this machine'}",
) -> None:
    """Sign in, create an API token and store it (0600) for later commands against this URL."""
    url = target_of(ctx).url
    # A session only lives for this exchange: what is kept is the token, which can be revoked.
    with StudioClient(Target(url, None)) as anonymous:
        if _auth_mode(anonymous) == "local":
            note(f"{url} runs in local mode: no sign-in needed, commands work as they are.")
            return
        if password_stdin and not email:
            raise CliError("--password-stdin needs --email (or STUDIO_EMAIL)", ExitCode.USAGE)
        email = email or _ask("E-mail", secret=False)
        password = _password_from_stdin() if password_stdin else _password()
        answer = _sign_in(anonymous, email, password)
        session = answer.json()
        token = _new_token(anonymous, answer, token_name)
    previous = stored_credential(url)
    path = store_credential(url, {"token": token["token"], "token_id": token["id"], "email": email})
    note(f"signed in to {url} as {session['user']['email']}; token stored in {path}")
    if previous is not None:
        _revoke_replaced(url, previous)


def _new_token(anonymous: StudioClient, answer: httpx.Response, name: str) -> dict[str, Any]:
    """A new API token, created with the session `answer` started; the session is signed out
    again whatever happens (it would otherwise stay valid for days, unused)."""
    # Sent by hand: the cookie is `Secure` by default, which an HTTP client's cookie jar
    # keeps off plain http://127.0.0.1, where browsers allow it.
    headers = {
        "X-CSRF-Token": answer.json()["csrf_token"],
        "Cookie": f"{SESSION_COOKIE}={answer.cookies[SESSION_COOKIE]}",
    }
    try:
        token: dict[str, Any] = anonymous.post(f"{API}/tokens", {"name": name}, headers=headers)
    finally:
        try:
            anonymous.send("POST", f"{API}/auth/logout", headers=headers)
        except CliError as exc:
            # Said, not raised: the token (or the reason there is none) matters more.
            note(f"could not sign the login's session out ({exc.message}); it expires by itself")
    return token


def _revoke_replaced(url: str, previous: dict[str, str]) -> None:
    """Revoke the token a new login replaced in the config file, with itself (it may belong to
    another account): forgotten here, it would stay valid with no way left to revoke it."""
    with StudioClient(Target(url, previous["token"])) as client:
        try:
            client.delete(f"{API}/tokens/{previous['token_id']}")
        except CliError as exc:
            if exc.code in (ExitCode.AUTH, ExitCode.NOT_FOUND):
                return  # expired or revoked already: nothing left to revoke
            note(
                f"could not revoke the token this login replaced ({exc.message}): revoke it "
                f"on the API tokens page of {url}"
            )


def logout(ctx: typer.Context) -> None:
    """Revoke the stored API token of this URL and forget it."""
    url = target_of(ctx).url
    credential = stored_credential(url)
    if credential is None:
        note(f"no token stored for {url}")
        return
    # Revoked before it is forgotten: a token forgotten while the studio could not be reached
    # would stay valid (for ever, unless it expires) with no way left to revoke it from here.
    with StudioClient(Target(url, credential["token"])) as client:
        try:
            client.delete(f"{API}/tokens/{credential['token_id']}")
        except CliError as exc:
            if exc.code not in (ExitCode.AUTH, ExitCode.NOT_FOUND):
                exc.lines.append(
                    "The token is still stored and still valid: run `studio logout` again "
                    "once the studio answers."
                )
                raise
            # Refused with itself: it expired or was revoked already, and cannot be revoked
            # by anyone now. Only forgetting it is left.
            forget_credential(url)
            note(
                f"the token stored for {url} had expired or been revoked already; forgot it "
                "here (an expired token stays listed on the studio's API tokens page until "
                "deleted there)"
            )
            return
    forget_credential(url)
    note(f"signed out of {url}")


def whoami(ctx: typer.Context, json: JsonFlag = False) -> None:
    """Who the studio takes you for, and how (local mode, token)."""
    with open_client(ctx) as client:
        me: dict[str, Any] = client.get(f"{API}/me")
    if json:
        print_json(me)
        return
    user = me["user"]
    print_line(
        f"{user.get('email') or user['display_name'] or user['id']} ({me['authenticated_by']}, {me['auth_mode']} mode) at {client.target.url}"
    )


def _password() -> str:
    return os.environ.get("STUDIO_PASSWORD") or _ask("Password", secret=True)


def _password_from_stdin() -> str:
    # Its first line, as `docker login --password-stdin` reads it: `echo "$PW" |` adds a newline.
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise CliError("--password-stdin: stdin held no password", ExitCode.USAGE)
    return password


def _sign_in(anonymous: StudioClient, email: str, password: str) -> httpx.Response:
    """The sign-in answer; a refusal says to check the credentials, not to run `studio login`
    (which is what is running)."""
    try:
        return anonymous.send(
            "POST", f"{API}/auth/login", json={"email": email, "password": password}
        )
    except CliError as exc:
        if exc.code != ExitCode.AUTH:
            raise
        lines = [line for line in exc.lines if line != SIGN_IN_HINT]
        raise CliError(
            exc.message, exc.code, [*lines, "Check the e-mail address and password."]
        ) from exc


def _ask(what: str, *, secret: bool) -> str:
    # Asked only once the studio turned out to have accounts: a local-mode one needs neither.
    if not sys.stdin.isatty():
        raise CliError(
            f"{what} needed: pass --email, and the password in STUDIO_PASSWORD or with "
            "--password-stdin (no terminal to ask on)",
            ExitCode.USAGE,
        )
    answer: str = typer.prompt(what, hide_input=secret)
    return answer


def _auth_mode(client: StudioClient) -> str:
    try:
        me = client.get(f"{API}/me")
    except CliError as exc:
        if exc.code == ExitCode.AUTH:
            return "accounts"
        raise
    return str(me.get("auth_mode", "accounts"))
