"""Live events: the NATS streams followed per user, served as Server-Sent Events."""
