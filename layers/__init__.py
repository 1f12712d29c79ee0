"""Publishing read-models: one catalogue of map layers (`catalogue`) and what reads it: OGC API
features (`features`, `crs`, `edits`), vector tiles (`tiles`) and pydeck presets (`deck`,
`plan_deck`); for leaders' notebooks also offline map pages (`page`), tables (`reports`) and the
notebook session, caller and output folder (`notebook`)."""
