"""The embedded servers of `make run` (NATS, the MongoDB-compatible server), kept running.

A server that exits (killed, out of memory) is started again on the same port and data, with
the services' restart policy: every service depends on both, and without this they would log
connection errors for ever while the studio waited. The services reconnect by themselves.
"""

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from studio_devtools.servers import ServerProcess, ServerStartError
from studio_devtools.supervisor import RestartPolicy, say

POLL_S = 0.25
"""How often a server's process is looked at: it is a plain child (`subprocess.Popen`), not
one the event loop waits on."""


@dataclass(eq=False)
class KeptServer:
    """One server: where its current process is kept (`servers[index]`), and how to start it
    again. `restart` blocks until the server answers: it spawns from the thread that runs the
    loop, the launcher's main thread, so the parent-death signal stays tied to the launcher."""

    name: str
    """As the pid file names it (`nats`, `mongo`)."""
    servers: list[ServerProcess]
    index: int
    restart: Callable[[], ServerProcess]
    on_spawn: Callable[[str, int], None]
    policy: RestartPolicy

    @property
    def current(self) -> ServerProcess:
        return self.servers[self.index]


async def keep_running(kept: KeptServer) -> None:
    """Start the server again whenever it exits; return when the policy gives up or it cannot
    be started (the launcher then stops everything, saying why)."""
    while True:
        server = kept.current
        # Polled: a thread blocked in `wait()` would hold up the loop's shutdown, which comes
        # before the launcher stops the servers.
        while (code := server.process.poll()) is None:  # noqa: ASYNC110
            await asyncio.sleep(POLL_S)
        delay = kept.policy.crashed(asyncio.get_running_loop().time())
        name, policy = kept.name, kept.policy
        if delay is None:
            say(
                f"{name} exited with code {code}; {policy.recent} crashes in "
                f"{policy.window_s:.0f}s: giving up and stopping everything"
            )
            return
        say(f"{name} exited with code {code}; restarting it in {delay:.1f}s (data kept)")
        await asyncio.sleep(delay)
        try:
            started = kept.restart()
        except ServerStartError as exc:
            say(f"{name} could not be started again: {exc}")
            return
        kept.servers[kept.index] = started
        kept.on_spawn(name, started.process.pid)
        say(f"{name} is back at {started.url} (pid {started.process.pid})")
