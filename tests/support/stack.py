"""Running `make run`'s launcher (`python -m studio_devtools`) as a child process and reading
its output, for the e2e tests and the start-up benchmark."""

import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from studio_devtools import pidfile
from studio_devtools.parent_death import terminate_with_parent

from tests.support.sockets import ports_for_a_child
from tests.support.waiting import patience

READY_LINE = "AI Studio is ready"


@dataclass
class Launch:
    process: subprocess.Popen[str]
    lines: "queue.Queue[str]" = field(default_factory=queue.Queue)
    seen: list[str] = field(default_factory=list)

    def wait_for(self, text: str, timeout: float = 90) -> str:
        """The first output line holding ``text``; ``timeout`` is scaled by `patience()`."""
        deadline = time.monotonic() + timeout * patience()
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                if self.process.poll() is not None and self.lines.empty():
                    break
                continue
            self.seen.append(line)
            if text in line:
                return line
        raise AssertionError(f"{text!r} not seen; output:\n{self._shown()}")

    def _shown(self, most: int = 400) -> str:
        """The output so far, whole unless very long: a service's traceback at start-up comes
        well before the launcher's last lines about it."""
        seen = self.output().splitlines(keepends=True)
        if len(seen) <= most:
            return "".join(seen)
        return "".join([*seen[: most // 4], "[…]\n", *seen[-(most - most // 4) :]])

    def output(self) -> str:
        while not self.lines.empty():
            self.seen.append(self.lines.get())
        return "".join(self.seen)


def stack_env(data_dir: Path) -> dict[str, str]:
    """The environment for a launch on free ports, without the developer's STUDIO_ settings."""
    ports = ports_for_a_child(8)
    names = [
        "PROJECTS",
        "CATALOG",
        "GENERATION",
        "ASSETS",
        "WORKER",
        "GATEWAY",
        "EMBEDDED_NATS",
        "EMBEDDED_MONGO",
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith("STUDIO_")}
    env.update({f"STUDIO_{name}_PORT": str(port) for name, port in zip(names, ports, strict=True)})
    env["STUDIO_DATA_DIR"] = str(data_dir)
    return env


def launch(env: dict[str, str]) -> Launch:
    """Start the launcher. It gets SIGTERM (and so stops its servers and services) when the
    test session dies, even by SIGKILL: an interrupted run must leave no stack behind."""
    process = subprocess.Popen(
        [sys.executable, "-m", "studio_devtools"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        # Tests spawn from pytest's main thread, which lives as long as the session.
        preexec_fn=terminate_with_parent(),
    )
    started = Launch(process)

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            started.lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    return started


def recorded(env: dict[str, str]) -> dict[str, pidfile.Entry]:
    """The processes the launch with ``env`` names in its pid file, by name."""
    path = Path(env["STUDIO_DATA_DIR"]) / "run.pid"
    return {entry.name: entry for entry in pidfile.read(path)}


def wait_until(condition: Callable[[], bool], within: float, what: str | Callable[[], str]) -> None:
    """Poll ``condition`` until it holds; fail saying ``what`` (worded at the time of the
    failure, when a callable) did not happen in time."""
    within *= patience()
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(
                f"not within {within}s: {what if isinstance(what, str) else what()}"
            )
        time.sleep(0.05)
