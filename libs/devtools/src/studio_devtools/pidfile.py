"""`<data dir>/run.pid`: which processes a `make run` owns, so a second one can tell what is left.

One process per line, the launcher first::

    <pid> <start> <name>

``start`` is the process's start time in clock ticks after boot (``/proc/<pid>/stat``, field
22), or ``-`` when unknown. With it, a pid the system has since given to an unrelated process
(after a reboot, say) does not count as ours. A file holding just a number, as older versions
wrote, names the launcher.

The file is stale only when none of its processes is alive; a file naming live processes is
never removed, since those processes would then be forgotten.
"""

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path

LAUNCHER = "launcher"


class PidFileBusy(RuntimeError):
    """The pid file names live processes; the message says which and how to stop them."""


@dataclass(frozen=True)
class Entry:
    pid: int
    start: int | None
    name: str

    def alive(self) -> bool:
        stat = _stat(self.pid)
        if stat is None:
            return _signalable(self.pid) if self.start is None else False
        state, start = stat
        if state in ("Z", "X"):  # exited, waiting to be reaped: it holds nothing any more
            return False
        return self.start is None or self.start == start

    def describe(self) -> str:
        return f"{self.pid:>8}  {self.name:<10} {command_line(self.pid)}"


def read(path: Path) -> list[Entry]:
    """The entries of the pid file at ``path``; none when it is missing or unreadable."""
    try:
        text = path.read_text()
    except FileNotFoundError:
        return []
    entries: list[Entry] = []
    for line in text.splitlines():
        parts = line.split(maxsplit=2)
        if not parts or not parts[0].isdigit() or int(parts[0]) <= 0:
            continue  # pid 0 would mean "my process group" to kill()
        if len(parts) == 1:
            entries.append(Entry(int(parts[0]), None, LAUNCHER))
        elif len(parts) == 3:
            start = int(parts[1]) if parts[1].isdigit() else None
            entries.append(Entry(int(parts[0]), start, parts[2]))
    return entries


class PidFile:
    """The launcher's pid file: claimed at start, rewritten as children come and go."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._entries: dict[str, Entry] = {}
        self._claimed = False

    def claim(self) -> bool:
        """Take the file for this process; True if a stale one was replaced.

        Raises :class:`PidFileBusy` when the file names live processes.
        """
        replaced = False
        for _ in range(3):
            live = [entry for entry in read(self.path) if entry.alive()]
            if live:
                raise PidFileBusy(_busy_message(self.path, live))
            if self.path.exists():
                with contextlib.suppress(FileNotFoundError):
                    self.path.unlink()
                replaced = True
            self._entries = {LAUNCHER: _entry(os.getpid(), LAUNCHER)}
            if self._write(exclusive=True):
                self._claimed = True
                return replaced
        raise PidFileBusy(f"{self.path} keeps being rewritten by another process; try again")

    def record(self, name: str, pid: int) -> None:
        """Note that child ``name`` now runs as ``pid`` (replacing an earlier pid of that name)."""
        self._entries[name] = _entry(pid, name)
        if self._claimed:
            self._write(exclusive=False)

    def release(self) -> list[Entry]:
        """Remove the file if it is ours and no child in it lives; the children still alive."""
        if not self._claimed:
            return []
        mine = read(self.path)
        if not mine or mine[0].pid != os.getpid():
            return []
        live = [entry for entry in mine[1:] if entry.alive()]
        if not live:
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()
            self._claimed = False
        return live

    def _write(self, *, exclusive: bool) -> bool:
        """Write the entries; with ``exclusive``, only if no file exists (False otherwise).

        Written to a temporary file first and then linked or renamed into place, so a reader
        never sees half a file, and two launchers racing for a missing file cannot both win.
        """
        text = "".join(
            f"{e.pid} {'-' if e.start is None else e.start} {e.name}\n"
            for e in self._entries.values()
        )
        temporary = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
        temporary.write_text(text)
        try:
            if not exclusive:
                os.replace(temporary, self.path)
                return True
            try:
                os.link(temporary, self.path)
            except FileExistsError:
                return False
            return True
        finally:
            with contextlib.suppress(FileNotFoundError):
                temporary.unlink()


def command_line(pid: int) -> str:
    """The command a process runs, for messages; ``?`` when it cannot be read."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return "?"
    return raw.rstrip(b"\0").replace(b"\0", b" ").decode(errors="replace") or "?"


def parent_of(pid: int) -> int | None:
    """The parent process of ``pid``; None when it cannot be read (no /proc, or no process)."""
    fields = _stat_fields(pid)
    return int(fields[1]) if fields else None


def _busy_message(path: Path, live: list[Entry]) -> str:
    pids = " ".join(str(entry.pid) for entry in live)
    launcher = next((entry for entry in live if entry.name == LAUNCHER), None)
    if launcher is not None:
        headline = f"AI Studio is already running from this directory (pid {launcher.pid})."
        how = f"Stop it with Ctrl-C in its terminal, or: kill {pids}"
    else:
        headline = "An earlier AI Studio run from this directory left these processes running."
        how = f"Stop them with: kill {pids}   (if they do not end, kill -9 {pids})"
    listing = "\n".join(entry.describe() for entry in live)
    return f"{headline} {path} names:\n{listing}\n{how}"


def _entry(pid: int, name: str) -> Entry:
    stat = _stat(pid)
    return Entry(pid, stat[1] if stat else None, name)


def _stat(pid: int) -> tuple[str, int] | None:
    """State letter and start time of ``pid`` from /proc; None when there is no such process."""
    fields = _stat_fields(pid)
    return (fields[0], int(fields[19])) if fields else None


def _stat_fields(pid: int) -> list[str] | None:
    """``/proc/<pid>/stat`` from field 3 (the state) on; None when there is no such process."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) is in parentheses and may itself hold spaces or parentheses.
    return text[text.rfind(")") + 2 :].split()


def _signalable(pid: int) -> bool:
    """Liveness where /proc is unavailable."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
