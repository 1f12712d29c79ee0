"""The `grids` command: thin commands over the services."""
