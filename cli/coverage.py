"""`grids coverage`: coverage gaps, summaries, staff allocation plans and redraw proposals."""

import typer

app = typer.Typer(
    help="覆盖分析 coverage: gaps, summaries, staff allocation plans, redraw proposals.", no_args_is_help=True
)
