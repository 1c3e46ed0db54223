"""Helpers shared by the test suite (backend selection, data classes)."""
