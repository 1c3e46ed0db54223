"""Where the CLI sends requests and with which credentials: flags, environment, config file.

The config file (`config.json` in the user's config directory, e.g. `~/.config/studio/`) is
written by `studio login`: the last URL signed in to and one API token per URL. It holds
secrets, so it is written with 0600 permissions (its directory 0700), replaced atomically.
A file that is not of that shape is an error naming it, not a crash of every command.
"""

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import typer

from studio_cli.errors import CliError, ExitCode

DEFAULT_URL = "http://127.0.0.1:8080"
"""The gateway of `make run` on this machine: local mode's address."""
APP_NAME = "studio"
API_PREFIX = "/api/v1"
"""The API's own path, which every request adds: a URL ending in it (copied from the API's
docs) names the studio that serves it."""


@dataclass(frozen=True)
class Target:
    """The studio to talk to. Without a token the CLI is in local mode: requests carry no
    credentials, which a gateway in `STUDIO_AUTH_MODE=local` (`make run`) accepts as its one
    local user."""

    url: str
    token: str | None

    @property
    def local(self) -> bool:
        return self.token is None


def config_path() -> Path:
    """The config file (honours XDG_CONFIG_HOME on Linux, via Click's `get_app_dir`)."""
    return Path(typer.get_app_dir(APP_NAME)) / "config.json"


def resolve_target(url: str | None, token: str | None, *, local: bool = False) -> Target:
    """Flags and environment (already merged by Typer into `url`/`token`) win over the file.

    A stored token is only sent to the URL it was created for, so pointing the CLI at another
    server never hands it a credential of this one. `local` ignores every token."""
    stored = load_config()
    chosen = checked_url(url or ("" if local else stored.get("url")) or DEFAULT_URL)
    if local:
        return Target(chosen, None)
    if token and token.strip():
        # A token pasted with its line ending (`$TOK\r` from a Windows file) or a space.
        return Target(chosen, checked_token(token.strip(), "--token / STUDIO_TOKEN"))
    credential = stored.get("credentials", {}).get(chosen, {})
    stored_token = credential.get("token") or None
    return Target(chosen, stored_token and checked_token(stored_token, str(config_path())))


def checked_url(url: str) -> str:
    """`url` if it can name a studio (`http(s)://host[:port][/path]`), without a trailing `/`
    or `/api/v1`; else a usage error, raised before any request, which would only fail as
    "cannot reach" (exit code 5)."""
    url = url.rstrip("/").removesuffix(API_PREFIX).rstrip("/")
    if not _is_http_url(url):
        raise CliError(
            f"{url!r} is not a studio URL (--url / STUDIO_URL): expected http://HOST[:PORT] or "
            f"https://HOST[:PORT], e.g. {DEFAULT_URL}",
            ExitCode.USAGE,
        )
    return url


def checked_token(token: str, source: str) -> str:
    """`token` if an HTTP header can carry it (printable ASCII, no spaces); else a usage error
    that names where it came from but never quotes it: it is a secret."""
    if not all("!" <= character <= "~" for character in token):
        raise CliError(
            f"the API token from {source} holds a character an HTTP header cannot carry (a "
            "space, a control character or a non-ASCII letter): was it copied whole?",
            ExitCode.USAGE,
        )
    return token


def _is_http_url(url: str) -> bool:
    parts = urlsplit(url)
    try:
        _ = parts.port
    except ValueError:  # a port that is not a number in 0-65535
        return False
    has_space = any(character.isspace() for character in url)
    return parts.scheme in ("http", "https") and bool(parts.hostname) and not has_space


def load_config() -> dict[str, Any]:
    """The config file's content: `{}` when there is none (or it is not JSON at all, as a file
    cut short would be); an error naming it when it is JSON of another shape."""
    path = config_path()
    try:
        data = json.loads(path.read_text())
    except (FileNotFoundError, ValueError):
        return {}
    if problem := _shape_problem(data):
        raise CliError(
            f"{path} is not a studio config file: {problem}",
            ExitCode.USAGE,
            ["Fix it, or remove it and run `studio login` again."],
        )
    config: dict[str, Any] = data
    return config


def _shape_problem(data: Any) -> str | None:
    """What is wrong with the shape of a config file's content, if anything:
    `{"url": str, "credentials": {url: {"token": str, "token_id": str, "email": str}}}`."""
    if not isinstance(data, dict):
        return "not a JSON object"
    if not isinstance(data.get("url", ""), str):
        return '"url" is not a string'
    credentials = data.get("credentials", {})
    if not isinstance(credentials, dict):
        return '"credentials" is not an object'
    for url, credential in credentials.items():
        if not isinstance(credential, dict) or not all(
            isinstance(value, str) for value in credential.values()
        ):
            return f'"credentials" of {url} is not an object of strings'
    return None


def store_credential(url: str, credential: dict[str, str]) -> Path:
    """Remember `credential` (token, token id, e-mail) for `url`, and `url` as the default."""
    config = load_config()
    config.setdefault("credentials", {})[url] = credential
    config["url"] = url
    return _save(config)


def stored_credential(url: str) -> dict[str, str] | None:
    """The credential stored for `url`, if there is one."""
    credential: dict[str, str] | None = load_config().get("credentials", {}).get(url)
    return credential


def forget_credential(url: str) -> dict[str, str] | None:
    """Remove the credential stored for `url`; return it (to revoke it), if there was one."""
    config = load_config()
    credential: dict[str, str] | None = config.get("credentials", {}).pop(url, None)
    if credential is not None:
        _save(config)
    return credential


def _save(config: dict[str, Any]) -> Path:
    path = config_path()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    # `mkdir` leaves a directory that existed as it was: this one is the studio's own (only
    # ever holds this file), so it is made private whatever made it first.
    path.parent.chmod(0o700)
    # mkstemp creates the file 0600; the rename replaces the old file in one step, so a reader
    # never sees half a file and the secret is never readable by others, even for a moment.
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".config-", suffix=".json")
    try:
        with os.fdopen(fd, "w") as file:
            json.dump(config, file, indent=2)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path
