"""Forwarding the public API to the services that own it, with the caller's signed identity."""
