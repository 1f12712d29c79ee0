"""Coverage: where grids lack ground, workers or platform staff; summaries; staff allocation plans."""
