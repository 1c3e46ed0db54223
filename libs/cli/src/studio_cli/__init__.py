"""The `studio` command-line client."""
