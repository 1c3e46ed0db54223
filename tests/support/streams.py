"""A stderr whose reader has stopped, for the tests of the log writer thread."""

import threading


class HeldStream:
    """The log writer thread's writes wait until `released`; `entered` says one is waiting.
    Every write is kept in `lines` (one entry per write call, which may hold several lines)."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.released = threading.Event()
        self.lines: list[str] = []

    def write(self, text: str) -> int:
        if threading.current_thread().name == "log-writer":
            self.entered.set()
            self.released.wait()
        self.lines.append(text)
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False
