"""One module per command group; `studio_cli.main` puts them together."""
