"""Publishing read-models: one catalogue of map layers (`catalogue`) and what reads it: OGC API
features (`features`, `crs`, `edits`), vector tiles (`tiles`) and pydeck presets (`deck`)."""
