"""What every answer of the public entry point carries, and who may read `/metrics`."""
