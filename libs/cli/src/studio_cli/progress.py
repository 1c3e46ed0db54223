"""Showing a generation's status while it runs: a Rich progress bar in a terminal, one line per
change of status otherwise (logs, CI), nothing for `--json`. All of it on stderr."""

from typing import Protocol

from rich.progress import (
    BarColumn,
    Progress,
    SpinnerColumn,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)

from studio_cli.output import note, stderr


class StatusDisplay(Protocol):
    def update(self, status: str, percent: float | None = None, detail: str = "") -> None: ...

    def close(self) -> None: ...


def status_display(label: str, *, quiet: bool) -> StatusDisplay:
    if quiet:
        return _Quiet()
    if stderr.is_terminal:
        return _Bar(label)
    return _Lines(label)


class _Bar:
    def __init__(self, label: str) -> None:
        self._progress = Progress(
            SpinnerColumn(finished_text="•"),
            TextColumn("{task.description}"),
            BarColumn(),
            TaskProgressColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.fields[detail]}", markup=False),
            console=stderr,
        )
        self._label = label
        self._task = self._progress.add_task(f"{label}: pending", total=100, detail="")
        self._progress.start()

    def update(self, status: str, percent: float | None = None, detail: str = "") -> None:
        completed = 100.0 if status == "completed" else percent
        self._progress.update(
            self._task, description=f"{self._label}: {status}", detail=detail, completed=completed
        )

    def close(self) -> None:
        self._progress.stop()


class _Lines:
    def __init__(self, label: str) -> None:
        self._label = label
        self._last = ""

    def update(self, status: str, percent: float | None = None, detail: str = "") -> None:
        if status != self._last:
            note(f"{self._label}: {status}")
            self._last = status

    def close(self) -> None:
        pass


class _Quiet:
    def update(self, status: str, percent: float | None = None, detail: str = "") -> None:
        pass

    def close(self) -> None:
        pass
