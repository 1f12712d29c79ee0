"""`grids boundaries`: import, validate, diff, publish and export grid boundaries."""

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from api.schemas_boundaries import DiffPublic, ValidationPublic
from cli.context import sessions
from cli.progress import progress_bar
from grids.boundaries.diff import Diff, diff_draft
from grids.boundaries.drafts import draft_from_active, get_draft, list_generations
from grids.boundaries.export import export_grids
from grids.boundaries.fix import fix_draft
from grids.boundaries.history import LOCAL, grid_held, parse_moment
from grids.boundaries.imports import import_draft
from grids.boundaries.publish import publish_draft
from grids.boundaries.validate import BoundarySettings, Report, problems_geojson, validate_draft
from grids.codes import division_code
from grids.db import transaction
from grids.users import OPERATOR

app = typer.Typer(
    help="网格边界 grid boundaries: drafts, validation, publishing, history.", no_args_is_help=True
)
out = Console(highlight=False)
# The command line is the installation's operator: the whole jurisdiction, like `grids users list`.


@app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="GeoJSON, GeoPackage, Shapefile (.shp or .zip) or KML")],
    name: Annotated[str, typer.Option(help="name of the new draft")],
    crs: Annotated[
        str | None, typer.Option(help="CRS of the file: wgs84, cgcs2000, gcj02, bd09, EPSG:…")
    ] = None,
    scope: Annotated[
        str | None, typer.Option(help="division the draft redraws (default: the villages its grids lie in)")
    ] = None,
    code_field: Annotated[str | None, typer.Option(help="field holding the grid code")] = None,
    name_field: Annotated[str | None, typer.Option(help="field holding the grid name")] = None,
    kind_field: Annotated[str | None, typer.Option(help="field holding the grid kind")] = None,
) -> None:
    """Store a file's grids as a new draft, exactly as given (faults included), for validation."""
    with progress_bar(out) as report, transaction(sessions()) as db:
        draft = import_draft(
            db,
            path=file,
            name=name,
            caller=OPERATOR,
            crs=crs,
            scope=scope,
            code_field=code_field,
            name_field=name_field,
            kind_field=kind_field,
            progress=report,
        )
    out.print(
        f"已导入草稿 imported draft [bold]{draft.name}[/] (generation {draft.generation_id}, scope "
        f"{draft.scope_code}): {draft.grids} grids read as {draft.source_crs}"
    )
    if draft.without_village:
        out.print(f"[yellow]注意 note:[/] {draft.without_village} grids lie in no known village")
    out.print(f"next: grids boundaries validate {draft.name}")


@app.command("new")
def new(
    name: Annotated[str, typer.Argument(help="name of the new draft")],
    scope: Annotated[str, typer.Option(help="division whose active grids the draft copies (e.g. 331102)")],
) -> None:
    """Start a draft as a copy of the active grids of a division, to edit (e.g. in QGIS)."""
    with transaction(sessions()) as db:
        generation, copied = draft_from_active(
            db, scope=division_code(scope, field="scope"), name=name, caller=OPERATOR
        )
    out.print(
        f"已新建草稿 new draft [bold]{generation.name}[/] (generation {generation.id}): {copied} grids copied"
    )


@app.command("validate")
def validate(
    draft: Annotated[str, typer.Argument(help="draft name or id")],
    as_json: Annotated[bool, typer.Option("--json", help="print the report as JSON")] = False,
    fix: Annotated[bool, typer.Option("--fix", help="apply safe repairs first and report each")] = False,
    geojson: Annotated[Path | None, typer.Option(help="also write the problems as GeoJSON for QGIS")] = None,
    households_min: Annotated[int | None, typer.Option(help="fewest households of an ordinary grid")] = None,
    households_max: Annotated[int | None, typer.Option(help="most households of an ordinary grid")] = None,
) -> None:
    """Check a draft; exit code 0 when nothing blocks publishing, 1 when something does."""
    settings = BoundarySettings()
    if households_min is not None:
        settings.households_min = households_min
    if households_max is not None:
        settings.households_max = households_max
    with transaction(sessions()) as db:
        generation = get_draft(db, ref=draft, caller=OPERATOR, lock=fix)
        repairs = fix_draft(db, generation=generation, caller=OPERATOR, settings=settings) if fix else []
        report = validate_draft(db, generation=generation, settings=settings)
    if geojson is not None:
        geojson.write_text(json.dumps(problems_geojson(report), ensure_ascii=False), encoding="utf-8")
    if as_json:
        body = ValidationPublic.of(report).model_dump(mode="json")
        if fix:
            body["repairs"] = [r.__dict__ for r in repairs]
        print(json.dumps(body, ensure_ascii=False, indent=2))
    else:
        for r in repairs:
            out.print(f"修复 fixed: {r.message_zh} / {r.message_en}")
        _print_report(report)
    raise typer.Exit(1 if report.blocking else 0)


def _print_report(report: Report) -> None:
    table = Table("severity 级别", "kind 类型", "grids 网格", "village 村社区", "m²", "message 说明")
    for p in report.problems:
        style = "red" if p.severity == "blocking" else "yellow"
        area = "" if p.area_m2 is None else f"{p.area_m2:,.1f}"
        table.add_row(
            f"[{style}]{p.severity}[/]",
            p.kind,
            ", ".join(p.grid_codes),
            p.village_code or "",
            area,
            f"{p.message_zh}\n{p.message_en}",
        )
    if report.problems:
        out.print(table)
    verdict = "[red]不可发布 blocked[/]" if report.blocking else "[green]可以发布 publishable[/]"
    counts = ", ".join(f"{k} {v}" for k, v in sorted(report.counts().items())) or "no problems 无问题"
    out.print(f"草稿 draft {report.name}: {report.grids} grids; {counts}; {verdict}")


@app.command("diff")
def diff(
    draft: Annotated[str, typer.Argument(help="draft name or id")],
    as_json: Annotated[bool, typer.Option("--json", help="print the diff as JSON")] = False,
) -> None:
    """What publishing a draft would change: grids, households, workers, open cases."""
    with transaction(sessions()) as db:
        result = diff_draft(db, generation=get_draft(db, ref=draft, caller=OPERATOR), caller=OPERATOR)
    if as_json:
        print(DiffPublic.of(result).model_dump_json(indent=2))
        return
    _print_diff(result)


def _print_diff(result: Diff) -> None:
    table = Table("change 变化", "code 编码", "code from 编码来源", "m² before", "m² after", "Δ m²", "Δ %")
    for c in result.plan.changes:
        if c.change == "unchanged":
            continue
        table.add_row(
            c.change,
            c.code,
            c.code_source,
            _num(c.old_area_m2),
            _num(c.new_area_m2),
            _num(c.area_change_m2),
            _num(c.area_change_pct),
        )
    out.print(table)
    counts = ", ".join(f"{k} {v}" for k, v in sorted(result.plan.counts().items()))
    households = sum(h.households for h in result.households)
    out.print(f"网格 grids: {counts}")
    out.print(
        f"户数迁移 households moving grid: {households} in {sum(h.blocks for h in result.households)} blocks"
    )
    out.print(f"网格员 workers whose grid changes: {len({w.worker_id for w in result.workers})}")
    for w in result.workers:
        out.print(f"  {w.staff_no} ({w.role}, {w.assignment}) grid {w.grid_code} {w.change}")
    out.print(f"在办事件 open cases changing grid: {len(result.cases)}")
    for m in result.cases[:20]:
        out.print(
            f"  case {m.county_code}/{m.case_id} ({m.status}): {m.from_code or '-'} → {m.to_code or '-'}"
        )


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:,.1f}"


@app.command("publish")
def publish(
    draft: Annotated[str, typer.Argument(help="draft name or id")],
    commit: Annotated[bool, typer.Option("--commit", help="really publish (without it: a dry run)")] = False,
) -> None:
    """Publish a draft atomically (dry run unless --commit); refused while anything blocks."""
    with transaction(sessions()) as db:
        result = publish_draft(db, ref=draft, caller=OPERATOR, commit=commit)
    if result.diff is not None:
        _print_diff(result.diff)
    counts = ", ".join(f"{k} {v}" for k, v in sorted(result.counts.items()))
    numbered = ", ".join(result.numbered) or "none"
    if not result.committed:
        out.print(f"[yellow]试运行 dry run[/]: would publish {result.name} ({counts}); new codes {numbered}")
        out.print(f"would retire generations {result.retired_generations}; add --commit to publish")
        return
    out.print(
        f"[green]已发布 published[/] {result.name} "
        f"(generation {result.generation_id}, scope {result.scope_code})"
    )
    out.print(f"grids: {counts}; new codes: {numbered}; retired generations {result.retired_generations}")
    out.print(
        f"re-homed open cases 重新归属事件: {result.cases_rehomed}; "
        f"assignments ended: {result.assignments_ended}"
    )
    if result.grids_without_worker:
        out.print(f"[yellow]无网格员 grids without a worker:[/] {', '.join(result.grids_without_worker)}")


@app.command("generations")
def generations() -> None:
    """List generations (drafts, active and retired), newest first."""
    with transaction(sessions()) as db:
        rows = list_generations(db, caller=OPERATOR)
    table = Table("id", "name 名称", "scope 范围", "status 状态", "activated 启用", "retired 停用")
    for g in rows:
        table.add_row(str(g.id), g.name, g.scope_code, g.status, _when(g.activated_at), _when(g.retired_at))
    out.print(table)


def _when(value: datetime | None) -> str:
    return "" if value is None else value.astimezone(LOCAL).strftime("%Y-%m-%d %H:%M")


@app.command("history")
def history(
    lon: Annotated[float, typer.Argument(help="longitude (x)")],
    lat: Annotated[float, typer.Argument(help="latitude (y)")],
    on: Annotated[str, typer.Option(help="date (YYYY-MM-DD: end of that day, China time) or ISO datetime")],
    crs: Annotated[str, typer.Option(help="wgs84, cgcs2000, gcj02, bd09 or EPSG:…")] = "wgs84",
) -> None:
    """Which grid held a point on a past date."""
    with transaction(sessions()) as db:
        held = grid_held(db, lon=lon, lat=lat, on=parse_moment(on), caller=OPERATOR, crs=crs)
    if not held:
        out.print(f"无 none: no grid held ({lon}, {lat}) on {on}")
    for h in held:
        out.print(
            f"网格 grid {h.code} {h.name} (generation {h.generation_id} {h.generation_name}, "
            f"active {_when(h.activated_at)} – {_when(h.retired_at) or 'now'})"
        )


@app.command("export")
def export(
    out_file: Annotated[Path, typer.Argument(metavar="OUT", help="OUT.geojson, OUT.gpkg or OUT.shp")],
    generation: Annotated[int | None, typer.Option(help="generation id (default: every active grid)")] = None,
) -> None:
    """Export grids with their attributes; GeoJSON follows RFC 7946, Chinese names stay intact."""
    with transaction(sessions()) as db:
        count = export_grids(db, path=out_file, caller=OPERATOR, generation=generation)
    out.print(f"已导出 exported {count} grids to {out_file}")
