"""`grids workers` and `grids categories`: rosters and responsibility lists, from files and as kept."""

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.table import Table

from api.schemas_rosters import CategoryVersionPublic, WorkerDetailPublic, WorkerSummaryPublic
from cli.context import sessions
from cli.locate import OPERATOR
from grids.cases.files import read_table
from grids.cases.rosters import import_calendar, import_categories, import_roster
from grids.cases.workers import get_worker, list_workers
from grids.catalogue import category_history
from grids.db import transaction

workers = typer.Typer(help="网格员花名册 worker rosters.", no_args_is_help=True)
categories = typer.Typer(help="权责清单 case categories and their time limits.", no_args_is_help=True)
out = Console(highlight=False)
FileArg = Annotated[Path, typer.Argument(help="a .csv or .xlsx file")]
LOCAL = ZoneInfo("Asia/Shanghai")  # times are shown as township staff read them
JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON instead of a table")]


def _dump(value: Any) -> None:
    print(json.dumps(value, ensure_ascii=False, indent=2))


def _when(value: datetime | None) -> str:
    return "" if value is None else f"{value.astimezone(LOCAL):%Y-%m-%d %H:%M}"


@workers.command("import")
def import_workers(file: FileArg) -> None:
    """Import workers with their dated grid assignments and duty windows (one assignment per row)."""
    rows = read_table(file)
    with transaction(sessions()) as db:
        summary = import_roster(db, rows=rows, caller=OPERATOR)
    out.print(
        f"已导入 imported: {summary.workers_added} new worker(s), {summary.workers_updated} updated, "
        f"{summary.assignments_added} assignment(s) opened, {summary.assignments_ended} ended"
    )


@workers.command("list")
def list_(
    township: Annotated[str | None, typer.Option(help="a division code: its workers only")] = None,
    role: Annotated[
        str | None, typer.Option(help="grid_head, full_time, part_time or platform_staff")
    ] = None,
    platform: Annotated[str | None, typer.Option(help="governance, market, enforcement or services")] = None,
    grid: Annotated[str | None, typer.Option(help="assigned to this grid code now")] = None,
    limit: Annotated[int, typer.Option(min=1, max=100_000)] = 500,
    as_json: JsonOpt = False,
) -> None:
    """Workers by staff number with their current grids; names masked, no phones."""
    with transaction(sessions()) as db:
        rows, total = list_workers(
            db, caller=OPERATOR, township=township, role=role, platform=platform, grid=grid, limit=limit
        )
    if as_json:
        _dump([WorkerSummaryPublic.of(r).model_dump(mode="json") for r in rows])
        return
    table = Table(title=f"人员 workers ({len(rows)} of {total})")
    for column in (
        "工号 staff no",
        "姓名 name",
        "岗位 role",
        "平台 platform",
        "乡镇 township",
        "在岗 active",
    ):
        table.add_column(column)
    table.add_column("当前网格 current grids")
    for r in rows:
        grids = ", ".join(f"{a.grid_code} {a.kind}" for a in r.current)
        table.add_row(
            r.staff_no, r.name or "", r.role, r.platform or "", r.township, "是" if r.active else "否", grids
        )
    out.print(table)


@workers.command("show")
def show(
    staff_no: Annotated[str, typer.Argument(help="staff number (工号)")], as_json: JsonOpt = False
) -> None:
    """One worker: assignments current and past, and the weekly duty windows."""
    with transaction(sessions()) as db:
        found = get_worker(db, caller=OPERATOR, staff_no=staff_no)
    if as_json:
        _dump(WorkerDetailPublic.of_detail(found).model_dump(mode="json"))
        return
    base = "" if found.lon is None else f" base ({found.lon:.6f}, {found.lat:.6f})"
    out.print(
        f"[bold]{found.staff_no}[/] {found.name or ''} {found.role} {found.platform or ''} "
        f"township {found.township} {'在岗 active' if found.active else '停用 inactive'}{base}"
    )
    table = Table(title="网格职责 assignments")
    for column in ("id", "网格 grid", "职责 kind", "起 from", "止 to", "当前 now"):
        table.add_column(column)
    for a in found.assignments:
        table.add_row(
            str(a.id), a.grid_code, a.kind, _when(a.valid_from), _when(a.valid_to), "✓" if a.current else ""
        )
    out.print(table)
    days = "一二三四五六日"
    duty = "; ".join(f"周{days[d.weekday - 1]} {d.starts:%H:%M}-{d.ends:%H:%M}" for d in found.duty)
    out.print(f"值班 duty: {duty or '无 none'}")


@categories.command("history")
def history(
    code: Annotated[str, typer.Argument(help="category code, e.g. street_vending")], as_json: JsonOpt = False
) -> None:
    """Every version of a category: platform, stage limits, the period it held and who changed it."""
    with transaction(sessions()) as db:
        versions = [CategoryVersionPublic.of(v) for v in category_history(db, code=code)]
    if as_json:
        _dump([v.model_dump(mode="json") for v in versions])
        return
    table = Table(title=f"{code} 版本 versions")
    for column in ("起 from", "止 to", "平台 platform", "受理/分流/处置/回复 hours", "工作日 working", "by"):
        table.add_column(column)
    for v in versions:
        hours = "/".join(f"{h:g}" for h in (v.receive_hours, v.dispatch_hours, v.handle_hours, v.reply_hours))
        table.add_row(
            _when(v.valid_from),
            _when(v.valid_to),
            v.platform_code,
            hours,
            "是" if v.working_hours else "否",
            v.changed_by,
        )
    out.print(table)


@categories.command("import")
def import_categories_(file: FileArg) -> None:
    """Insert or update case categories (code, platform, stage time limits, duplicate rule)."""
    rows = read_table(file)
    with transaction(sessions()) as db:
        count = import_categories(db, rows=rows, caller=OPERATOR)
    out.print(f"已导入 imported {count} categor{'y' if count == 1 else 'ies'}")


@categories.command("holidays")
def import_holidays(file: FileArg) -> None:
    """Holidays and make-up working days for working-hour limits (day, working yes/no, name)."""
    rows = read_table(file)
    with transaction(sessions()) as db:
        count = import_calendar(db, rows=rows)
    out.print(f"已导入 imported {count} calendar day(s)")
