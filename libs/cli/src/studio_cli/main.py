"""Entry point of the `studio` command (built out in issue 14)."""

import typer

app = typer.Typer(help="AI Studio from a terminal.", no_args_is_help=True)


@app.callback()
def main() -> None:
    """AI Studio from a terminal."""


@app.command()
def version() -> None:
    """Print the client's version."""
    typer.echo("studio-cli 0.1.0")


def run() -> None:
    app()
