"""Planners' boundary work: import divisions and grid drafts, validate, diff, publish, history, export."""
