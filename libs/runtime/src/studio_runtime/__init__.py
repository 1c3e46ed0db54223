"""The small runtime every AI Studio service shares: settings, logging, connections, health,
internal auth and errors."""
