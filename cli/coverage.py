"""`grids coverage`: coverage gaps, summaries, staff allocation plans and redraw proposals."""

import json
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from api.schemas_coverage import DivisionSummaryPublic, GapFeature, PlanPublic
from cli import coverage_redraw
from cli.context import sessions
from grids.codes import division_code
from grids.coverage.allocation import StaffInput, propose
from grids.coverage.gaps import KINDS, Rules, counts, find_gaps, list_cases
from grids.coverage.plans import apply_plan, undo_plan
from grids.coverage.summary import LEVELS, summarise
from grids.db import transaction
from grids.errors import InvalidInput
from grids.users import OPERATOR

app = typer.Typer(
    help="覆盖分析 coverage: gaps, summaries, staff allocation plans, redraw proposals.", no_args_is_help=True
)
out = Console(highlight=False)
app.command("redraw")(coverage_redraw.redraw)
SEVERITY_ZH = {"high": "[red]高 high[/]", "medium": "[yellow]中 medium[/]", "low": "低 low"}


def _when(raw: str | None) -> datetime:
    if raw is None:
        return datetime.now(UTC)
    try:
        at = datetime.fromisoformat(raw)
    except ValueError as exc:
        raise InvalidInput(
            f"--at {raw!r} is not an ISO date-time such as 2026-11-02T10:00+08:00 (时间格式有误)"
        ) from exc
    if at.tzinfo is None:
        raise InvalidInput(f"--at {raw!r} needs a time zone, e.g. 2026-11-02T10:00+08:00 (须带时区)")
    return at


def _dump(value: Any) -> None:
    print(json.dumps(value, ensure_ascii=False, indent=2, default=str))


@app.command("gaps")
def gaps(
    code: Annotated[str | None, typer.Argument(help="a division code (default: everything)")] = None,
    kind: Annotated[list[str] | None, typer.Option(help=f"only these kinds: {', '.join(KINDS)}")] = None,
    severity: Annotated[str | None, typer.Option(help="high, medium or low")] = None,
    at: Annotated[
        str | None, typer.Option(help="judge staffing at this time (ISO, with zone); default now")
    ] = None,
    households_cap: Annotated[int, typer.Option(min=1, help="households per full-time worker")] = 500,
    open_cases_cap: Annotated[int, typer.Option(min=1, help="open cases per worker")] = 40,
    reach_m: Annotated[
        float, typer.Option(min=1, help="farthest a grid may be from a platform's staff")
    ] = 10_000,
    as_json: Annotated[bool, typer.Option("--json", help="print the gaps as GeoJSON")] = False,
) -> None:
    """Coverage gaps: ground without grids, grids short of workers or staff, load over caps, reach."""
    when = _when(at)
    rules = Rules(households_cap, open_cases_cap, reach_m)
    with transaction(sessions()) as db:
        found = find_gaps(
            db,
            caller=OPERATOR,
            code=None if code is None else division_code(code),
            kinds=kind,
            severity=severity,
            rules=rules,
            at=when,
        )
        if as_json:
            list_cases(db, found)
    if as_json:
        _dump({"type": "FeatureCollection", "features": [GapFeature.of(g).model_dump() for g in found]})
        return
    table = Table(title=f"覆盖缺口 coverage gaps at {when:%Y-%m-%d %H:%M %Z}")
    for column in ("严重 severity", "地点 where", "缺口 gap"):
        table.add_column(column)
    for gap in found:
        table.add_row(SEVERITY_ZH[gap.severity], gap.where, gap.message)
    out.print(table)
    tally = ", ".join(f"{KINDS[k][0]} {k} {n}" for k, n in counts(found).items() if n)
    out.print(f"共 {len(found)} 处 gaps: {tally or '无 none'}")


@app.command("summary")
def summary(
    level: Annotated[str, typer.Option(help="county, township or village")] = "township",
    code: Annotated[str | None, typer.Option(help="only divisions inside this one")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the figures as JSON")] = False,
) -> None:
    """Coverage figures per division: grids, households, workers, staff, cases per month, on-time rate."""
    if level not in LEVELS:
        raise InvalidInput(f"--level {level!r} is not one of {', '.join(LEVELS)} (层级有误)")
    with transaction(sessions()) as db:
        rows = summarise(
            db,
            caller=OPERATOR,
            level=level,
            at=datetime.now(UTC),
            code=None if code is None else division_code(code),
        )
    if as_json:
        _dump([DivisionSummaryPublic.model_validate(r).model_dump() for r in rows])
        return
    table = Table(title=f"覆盖概况 coverage summary ({level})")
    for column in (
        "区划 division",
        "网格 grids",
        "户数 households",
        "专职 full-time",
        "户/专职 hh per FT",
        "平台人员 staff (综治/市场/执法/便民)",
        "事件/月 cases/month",
        "按时处置 on time",
        "缺口 gaps",
    ):
        table.add_column(column)
    for r in rows:
        staff = "/".join(str(n) for n in r.platform_staff.values())
        rate = "—" if r.handle_on_time_rate is None else f"{r.handle_on_time_rate:.1%}"
        table.add_row(
            f"{r.name} {r.code}",
            str(r.grids),
            str(r.households),
            str(r.workers["full_time"]),
            str(r.households_per_full_time or "—"),
            staff,
            f"{sum(r.cases_per_month.values()):.1f}",
            rate,
            str(sum(r.gaps.values())),
        )
    out.print(table)


@app.command("plan")
def plan(
    code: Annotated[str, typer.Argument(help="a township or county code")],
    platform: Annotated[str, typer.Option(help="governance, market, enforcement or services")],
    count: Annotated[
        int | None, typer.Option(min=1, max=60, help="how many staff (default: today's)")
    ] = None,
    staff: Annotated[list[str] | None, typer.Option(help="staff numbers to allocate (repeatable)")] = None,
    apply: Annotated[bool, typer.Option("--apply", help="apply the plan at once")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print the plan as JSON")] = False,
) -> None:
    """Propose which of a platform's staff covers each grid: balanced load, short travel, few moves."""
    listed = None if not staff else [StaffInput(no) for no in staff]
    with transaction(sessions()) as db:
        with out.status("求解中 solving (OR-Tools CP-SAT)…", spinner="dots"):
            made = propose(
                db,
                caller=OPERATOR,
                code=division_code(code),
                platform=platform,
                at=datetime.now(UTC),
                staff=listed,
                count=count,
            )
        if apply:
            made = apply_plan(db, caller=OPERATOR, plan_id=made.id, at=datetime.now(UTC))
        public = PlanPublic.of(made)
    if as_json:
        _dump(public.model_dump())
        return
    _print_plan(public)


@app.command("apply")
def apply_(plan_id: Annotated[int, typer.Argument(help="the plan's number")]) -> None:
    """Apply a proposed plan now, as dated platform assignments."""
    with transaction(sessions()) as db:
        done = PlanPublic.of(apply_plan(db, caller=OPERATOR, plan_id=plan_id, at=datetime.now(UTC)))
    out.print(
        f"方案 plan {plan_id} 已生效 applied: {done.assignments_started} assignment(s) started, "
        f"{done.assignments_ended} ended"
    )


@app.command("undo")
def undo(plan_id: Annotated[int, typer.Argument(help="the plan's number")]) -> None:
    """Undo an applied plan now: its assignments end and the ones it ended start again."""
    with transaction(sessions()) as db:
        undo_plan(db, caller=OPERATOR, plan_id=plan_id, at=datetime.now(UTC))
    out.print(f"方案 plan {plan_id} 已撤销 undone")


def _print_plan(plan: PlanPublic) -> None:
    r = plan.result
    table = Table(title=f"配置方案 allocation plan {plan.id}: {plan.code} {plan.platform} ({plan.status})")
    for column in (
        "",
        "最大负荷 max load",
        "不均衡 imbalance",
        "距下界 vs bound",
        "平均距离 mean m",
        "最远 worst m",
        "未覆盖 unallocated",
    ):
        table.add_column(column)
    for label, f in (("调整前 before", r["before"]), ("调整后 after", r["after"])):
        table.add_row(
            label,
            f"{f['max_load']:.2f}",
            _pct(f["imbalance"]),
            _pct(f["gap_to_lower_bound"]),
            str(f["mean_distance_m"]),
            str(f["worst_distance_m"]),
            str(f["unallocated_grids"]),
        )
    out.print(table)
    out.print(
        f"下界 lower bound {r['lower_bound']:g} (总负荷/人数 total ÷ staff, 最大网格 largest grid "
        f"{r['largest_grid_load']:g}); 调整网格 grids moving: {r['moves']}"
    )
    out.print(
        f"求解 solver: {r['solver']['name']} balance {r['solver']['balance_status']}, "
        f"travel {r['solver']['travel_status']}"
    )
    out.print(r["verdict"])
    staff = ", ".join(f"{p['staff_no'] or '新增 new'} ({p['base_from']})" for p in r["positions"])
    out.print(f"人员 staff: {staff}")
    if plan.status == "proposed":
        out.print(f"生效 apply: grids coverage apply {plan.id}")


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"
