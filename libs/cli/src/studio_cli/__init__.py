"""The `studio` command-line client."""

from importlib.metadata import PackageNotFoundError, version

try:
    VERSION = version("studio-cli")
except PackageNotFoundError:  # run from a source tree that was never installed
    VERSION = "0.0.0"
