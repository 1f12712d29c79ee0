"""Pure spatial toolkit: CRS handling, geometry checks and file I/O. Knows no database."""
