"""`grids coverage redraw`: propose a redraw of an overloaded village's ordinary grids as a draft."""

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from cli.context import sessions
from grids.coverage.redraw import propose_redraw
from grids.db import transaction
from grids.users import OPERATOR

out = Console(highlight=False)


def redraw(
    village: Annotated[str, typer.Argument(help="12-digit code of the village or community (村/社区)")],
    floor: Annotated[int, typer.Option(help="fewest households of an ordinary grid")] = 300,
    cap: Annotated[int, typer.Option(help="most households of an ordinary grid")] = 500,
) -> None:
    """Regionalise a village's ordinary grids into contiguous grids of FLOOR–CAP households, as a draft."""
    with out.status("重划中 regionalising…"), transaction(sessions()) as db:
        proposal = propose_redraw(db, village_code=village, caller=OPERATOR, floor=floor, cap=cap)
    table = Table(
        "code 编码",
        "code from 编码来源",
        "households 户数",
        title=f"重划方案 proposal for {proposal.village_code}",
    )
    for g in proposal.grids:
        inside = floor <= g.households <= cap
        table.add_row(g.code, g.code_source, f"{g.households}" if inside else f"[red]{g.households}[/]")
    out.print(table)
    if proposal.kept:
        out.print(f"专属网格保持不变 dedicated grids kept: {', '.join(proposal.kept)}")
    out.print(f"替换 replaces: {', '.join(proposal.replaced)}")
    verdict = "[green]上限满足 cap holds[/]" if proposal.cap_holds else "[red]上限未满足 cap does not hold[/]"
    out.print(f"{verdict}: {proposal.message_zh}")
    out.print(proposal.message_en)
    report = proposal.validation
    problems = ", ".join(f"{k} {n}" for k, n in sorted(report.counts().items())) or "no problems 无问题"
    state = "[red]不可发布 blocked[/]" if report.blocking else "[green]可以发布 publishable[/]"
    out.print(
        f"草稿 draft [bold]{proposal.name}[/] (generation {proposal.generation_id}): {problems}; {state}"
    )
    out.print("下一步 next:")
    for step in ("validate", "diff", "publish"):
        out.print(f"  grids boundaries {step} {proposal.name}{' --commit' if step == 'publish' else ''}")
