"""`grids locate LON LAT`: the grid, division chain and responsible worker of a point."""

import json
from typing import Annotated

import typer
from rich.console import Console

from api.schemas_locate import LocatePublic
from cli.context import sessions
from grids.db import transaction
from grids.locate import locate as locate_point
from grids.users import OPERATOR

out = Console(highlight=False)
# The command line is the installation's operator: whole jurisdiction, like `grids users list`.
MATCH_ZH = {"inside": "网格内", "edge": "网格边界", "near": "邻近网格", "outside": "网格外（待分配）"}


def locate(
    lon: Annotated[float, typer.Argument(help="longitude (x)")],
    lat: Annotated[float, typer.Argument(help="latitude (y)")],
    crs: Annotated[str, typer.Option(help="wgs84, cgcs2000, gcj02 or bd09")] = "wgs84",
    as_json: Annotated[bool, typer.Option("--json", help="print the answer as JSON")] = False,
) -> None:
    """Locate a point: division chain, grid, responsible worker on duty, platform staff."""
    with transaction(sessions()) as db:
        answer = LocatePublic.of(locate_point(db, lon=lon, lat=lat, crs=crs, caller=OPERATOR))
    if as_json:
        print(json.dumps(answer.model_dump(mode="json"), ensure_ascii=False, indent=2))
        return
    chain = " / ".join(f"{d.name} {d.code}" for d in (answer.county, answer.township, answer.village) if d)
    out.print(f"区划 divisions: {chain}")
    distance = "" if answer.distance_m in (None, 0) else f", {answer.distance_m:.1f} m"
    grid = f"{answer.grid.name} {answer.grid.code}" if answer.grid else "无 none"
    out.print(f"网格 grid: {grid} ({MATCH_ZH[answer.match]} {answer.match}{distance})")
    if answer.worker:
        w = answer.worker
        duty = "在岗 on duty" if w.on_duty else "不在岗 off duty"
        out.print(f"责任人 worker: {w.name} {w.staff_no} ({w.assignment}, {duty})")
    for s in answer.platform_staff:
        out.print(f"平台人员 platform staff: {s.platform} {s.name} {s.staff_no}")
