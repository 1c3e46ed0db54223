"""What the CLI prints: JSON on stdout for scripts, Rich tables for people, messages on stderr.

Results go to stdout and nothing else does, so `studio ... --json | jq` always sees valid JSON;
progress, notes and errors go to stderr.
"""

import json
import os
import sys
from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, NoReturn

from rich.cells import cell_len
from rich.console import Console
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from studio_cli.errors import CliError, ExitCode


class _Console(Console):
    def on_broken_pipe(self) -> None:
        # Rich's own exits 1, the code of a failed generation.
        _exit_broken_pipe()


stdout = _Console(highlight=False)
stderr = _Console(stderr=True, highlight=False)


def print_json(value: Any) -> None:
    # Plain print, not Rich: Rich would wrap long lines and colour the text in a terminal.
    with writing_stdout():
        sys.stdout.write(json.dumps(value, indent=2, ensure_ascii=False) + "\n")
        sys.stdout.flush()


def print_json_line(value: Any) -> None:
    with writing_stdout():
        sys.stdout.write(json.dumps(value, ensure_ascii=False) + "\n")
        sys.stdout.flush()


def print_line(text: str) -> None:
    with writing_stdout():
        sys.stdout.write(text + "\n")
        sys.stdout.flush()


@contextmanager
def writing_stdout() -> Iterator[None]:
    """Writes to stdout, whose reader may stop reading (`studio events | head -1`): that ends
    the command quietly, see :func:`_exit_broken_pipe`."""
    try:
        yield
    except BrokenPipeError:
        _exit_broken_pipe()


def _exit_broken_pipe() -> NoReturn:
    # Nothing is wrong and nothing is said; not a BrokenPipeError either, which Click would
    # turn into exit code 1 (a failed generation). What is still buffered goes to /dev/null,
    # or Python would report the broken pipe again on its way out.
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    raise SystemExit(ExitCode.BROKEN_PIPE)


def print_text(text: str) -> None:
    """Prose on stdout: wrapped to a terminal's width; off a terminal (a pipe, a CI log) as it
    is, so one line stays one line, as table rows do."""
    stdout.print(text, markup=False, soft_wrap=not stdout.is_terminal)


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
    title: str | None,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    empty: str,
    whole: Collection[str] = ("id",),
) -> None:
    """A table on stdout. The `whole` columns (ids, names to pass back to a command) are never
    wrapped or cut, so they can be copied; other columns fold in a narrow terminal. Off a
    terminal (a pipe, a CI log) no column is wrapped: one row is one line, for grep and less."""
    cells = [["" if cell is None else str(cell) for cell in row] for row in rows]
    if not cells:
        note(empty)
        return
    table = Table(title=title, header_style="bold")
    for column in columns:
        table.add_column(column, overflow="fold", no_wrap=column in whole)
    for row in cells:
        table.add_row(*(Text(cell) for cell in row))
    width = _table_width(table, columns, cells, whole)
    # A console of its own: `Console.print(width=...)` can narrow the output but not widen it.
    _Console(
        file=stdout.file, width=width, highlight=False, force_terminal=stdout.is_terminal
    ).print(table)


_NARROWEST = 4
"""The fewest characters a folded column is given before the table grows past the terminal."""
_UNBOUNDED = 1_000_000


def _table_width(
    table: Table, columns: Sequence[str], cells: list[list[str]], whole: Collection[str]
) -> int:
    # Rich caps a table at the console's width, which off a terminal is 80 (or $COLUMNS).
    if not stdout.is_terminal:
        return Measurement.get(stdout, stdout.options.update_width(_UNBOUNDED), table).maximum
    widest = [
        max(cell_len(column), *(cell_len(row[i]) for row in cells))
        for i, column in enumerate(columns)
    ]
    needed = sum(
        width if column in whole else min(width, _NARROWEST)
        for width, column in zip(widest, columns, strict=True)
    )
    # Each cell is padded by one space a side, and every column has a border on its left,
    # the last one on its right too.
    return max(stdout.width, needed + 3 * len(columns) + 1)


def human_size(size: int | None) -> str:
    if size is None:
        return ""
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{size} B"
