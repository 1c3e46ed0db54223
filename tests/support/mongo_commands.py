"""Which commands a MongoDB client sent: pass a `CommandLog` in `event_listeners`."""

from pymongo import monitoring


class CommandLog(monitoring.CommandListener):
    def __init__(self) -> None:
        self.names: list[str] = []

    def count(self, *names: str) -> int:
        """How many of the commands sent so far are one of `names`."""
        return sum(name in names for name in self.names)

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        self.names.append(event.command_name)

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass
