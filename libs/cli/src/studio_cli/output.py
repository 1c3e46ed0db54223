"""What the CLI prints: JSON on stdout for scripts, Rich tables for people, messages on stderr.

Results go to stdout and nothing else does, so `studio ... --json | jq` always sees valid JSON;
progress, notes and errors go to stderr.
"""

import json
import sys
from collections.abc import Iterable, Sequence
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from studio_cli.errors import CliError

stdout = Console(highlight=False)
stderr = Console(stderr=True, highlight=False)


def print_json(value: Any) -> None:
    # Plain print, not Rich: Rich would wrap long lines and colour the text in a terminal.
    sys.stdout.write(json.dumps(value, indent=2, ensure_ascii=False) + "\n")


def print_json_line(value: Any) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def print_line(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def note(text: str) -> None:
    """A message for the person at the terminal, on stderr (no markup: ids may hold brackets)."""
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


def print_error(error: CliError) -> None:
    # Written as is: a problem's detail must reach stderr whole, unwrapped and without markup.
    sys.stderr.write(f"Error: {error.message}\n")
    for line in error.lines:
        sys.stderr.write(line + "\n")
    sys.stderr.flush()


def print_table(
    title: str | None, columns: Sequence[str], rows: Iterable[Sequence[Any]], *, empty: str
) -> None:
    rows = list(rows)
    if not rows:
        note(empty)
        return
    table = Table(title=title, header_style="bold")
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*(Text("" if cell is None else str(cell)) for cell in row))
    stdout.print(table)


def human_size(size: int | None) -> str:
    if size is None:
        return ""
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{size} B"
