"""Publishing read-models: the catalogue of map layers (filled by the map-layers work)."""
