"""Tables for leaders' notebooks, with Chinese headers and English beside them: coverage per township,
an allocation plan's figures, and on-time rates per stage, per township and per month.

Rates are percentages (0–100, one decimal). Workers appear by staff number only.
"""

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy.orm import Session

from grids.cases.assessment import STAGE_ZH, StageFigures, UnitFigures, assess
from grids.cases.deadlines import STAGES
from grids.coverage.gaps import KINDS, Gap, counts
from grids.coverage.summary import DivisionSummary
from grids.errors import NotFound
from grids.models import AllocationPlan
from grids.users import Principal
from layers.catalogue import layer
from layers.features import extent

LOCAL = ZoneInfo("Asia/Shanghai")


def local_time(moment: datetime) -> str:
    """A moment in China Standard Time, as leaders read it: 2026-11-28 16:20（北京时间）."""
    return f"{moment.astimezone(LOCAL):%Y-%m-%d %H:%M}（北京时间）"


def percent(rate: float | None) -> float | None:
    """A rate as a percentage with one decimal."""
    return None if rate is None else round(100 * rate, 1)


def stage_header(stage: str) -> str:
    """The column header of a stage's on-time rate."""
    return f"{STAGE_ZH[stage]}按时率（%） {stage} on time (%)"


def township_table(summaries: list[DivisionSummary]) -> pd.DataFrame:
    """One row per township: grids, households, workers, platform staff, cases, on-time rate, gaps."""
    rows = []
    for s in summaries:
        gaps = {k: n for k, n in s.gaps.items() if n}
        rows.append(
            {
                "乡镇（街道） Township": s.name,
                "代码 Code": s.code,
                "网格 Grids": s.grids,
                "户数 Households": s.households,
                "专职网格员 Full-time workers": s.workers["full_time"],
                "户/专职网格员 Households per full-time worker": s.households_per_full_time,
                "平台人员 Platform staff": sum(s.platform_staff.values()),
                "月均事件 Cases per month": round(sum(s.cases_per_month.values()), 1),
                "处置按时率（%） Handled on time (%)": percent(s.handle_on_time_rate),
                "覆盖缺口 Gaps": sum(gaps.values()),
                "缺口类型 Kinds of gap": "；".join(f"{KINDS[k][0]} {n}" for k, n in gaps.items()),
            }
        )
    return pd.DataFrame(rows)


def gap_table(gaps: list[Gap]) -> pd.DataFrame:
    """How many gaps of each kind, every kind named."""
    found = counts(gaps)
    return pd.DataFrame(
        [{"缺口类型": zh, "Kind": en, "个数 Count": found[k]} for k, (zh, en) in KINDS.items()]
    )


def gap_list(gaps: list[Gap], *, severity: str = "high") -> pd.DataFrame:
    """The gaps of one severity: kind, where and what is wrong."""
    return pd.DataFrame(
        [
            {"缺口类型 Kind": KINDS[g.kind][0], "位置 Where": g.where, "详情 Detail": g.message}
            for g in gaps
            if g.severity == severity
        ],
        columns=["缺口类型 Kind", "位置 Where", "详情 Detail"],
    )


def plan_figures(plan: AllocationPlan) -> pd.DataFrame:
    """An allocation's figures today and as proposed, one row per figure."""
    labels = {
        "max_load": "最大负荷（件/月） Largest load (cases per month)",
        "mean_load": "平均负荷（件/月） Mean load",
        "imbalance": "不均衡度（%） Imbalance: largest over mean",
        "gap_to_lower_bound": "距下界（%） Largest load above the lower bound",
        "mean_distance_m": "平均距离（米） Mean distance to base (m)",
        "worst_distance_m": "最远距离（米） Farthest grid from its base (m)",
        "unallocated_grids": "未配置网格 Grids no one covers",
    }
    ratios = ("imbalance", "gap_to_lower_bound")
    result = plan.result
    table = {
        side: [percent(result[side][k]) if k in ratios else result[side][k] for k in labels]
        for side in ("before", "after")
    }
    return pd.DataFrame(
        {"今日 Today": table["before"], "方案 Proposed": table["after"]}, index=list(labels.values())
    )


def plan_staff(plan: AllocationPlan) -> pd.DataFrame:
    """Per staff member (by staff number): grids and expected load today and as proposed."""
    result = plan.result
    rows = []
    for i, p in enumerate(result["positions"]):
        rows.append(
            {
                "序号 No.": i + 1,
                "工号 Staff number": p["staff_no"] or "新增岗位 new position",
                "今日网格 Grids today": sum(g["before"] == i for g in result["grids"]),
                "方案网格 Grids proposed": sum(g["after"] == i for g in result["grids"]),
                "今日负荷 Load today": result["before"]["loads"][i],
                "方案负荷 Load proposed": result["after"]["loads"][i],
            }
        )
    return pd.DataFrame(rows)


def stage_table(figures: list[UnitFigures], *, unit: str = "乡镇（街道） Township") -> pd.DataFrame:
    """One row per unit: cases, the on-time rate of each stage, close rate, mean handling hours."""
    rows = []
    for f in figures:
        row: dict[str, object] = {unit: f.name, "代码 Code": f.key, "事件数 Cases": f.cases}
        row |= {stage_header(s): percent(f.stages[s].on_time_rate) for s in STAGES}
        row["结案率（%） Closed"] = percent(f.close_rate)
        hours = f.mean_handling_hours
        row["平均处置时长（小时） Mean handling hours"] = None if hours is None else round(hours, 1)
        rows.append(row)
    return pd.DataFrame(rows)


def case_period(session: Session, *, caller: Principal) -> tuple[datetime, datetime]:
    """When the caller's first and last cases were reported; NotFound when there are none."""
    interval = extent(session, layer("cases", caller=caller), caller=caller).interval
    if interval is None or interval[0] is None or interval[1] is None:
        raise NotFound("no cases in your jurisdiction yet (辖区内暂无事件)")
    return interval[0], interval[1]


@dataclass(frozen=True)
class Month:
    """A calendar month in China Standard Time, clipped to the period asked for."""

    label: str
    start: datetime
    end: datetime
    partial: bool


def months(start: datetime, end: datetime) -> list[Month]:
    """The calendar months (China Standard Time) that [start, end) touches, clipped to it."""
    found = []
    first = start.astimezone(LOCAL).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    while first < end:
        following = first.replace(year=first.year + first.month // 12, month=first.month % 12 + 1)
        low, high = max(first, start), min(following, end)
        partial = low > first or high < following
        label = f"{first:%Y-%m}" + ("（部分 partial）" if partial else "")
        found.append(Month(label, low, high, partial))
        first = following
    return found


def monthly(
    session: Session, *, caller: Principal, start: datetime, end: datetime, now: datetime
) -> dict[str, list[UnitFigures]]:
    """Township figures of the cases received in each month of [start, end), by month label."""
    return {
        m.label: assess(session, caller=caller, level="township", start=m.start, end=m.end, now=now)
        for m in months(start, end)
    }


def total(figures: list[UnitFigures], stage: str) -> StageFigures:
    """One stage's figures summed over units (each case belongs to one unit)."""
    return StageFigures(
        done=sum(f.stages[stage].done for f in figures),
        on_time=sum(f.stages[stage].on_time for f in figures),
        open_late=sum(f.stages[stage].open_late for f in figures),
    )


def stage_trend(by_month: dict[str, list[UnitFigures]]) -> pd.DataFrame:
    """Per month over the whole jurisdiction: cases and each stage's on-time rate."""
    rows = {
        label: {
            "事件数 Cases": sum(f.cases for f in figures),
            **{stage_header(s): percent(total(figures, s).on_time_rate) for s in STAGES},
        }
        for label, figures in by_month.items()
    }
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("月份 Month")


def township_trend(by_month: dict[str, list[UnitFigures]], *, stage: str = "handle") -> pd.DataFrame:
    """One stage's on-time rate per township (rows) and month (columns)."""
    table: dict[str, dict[str, float | None]] = {}
    for label, figures in by_month.items():
        for f in figures:
            table.setdefault(f.name, {})[label] = percent(f.stages[stage].on_time_rate)
    return (
        pd.DataFrame.from_dict(table, orient="index")
        .reindex(columns=list(by_month))
        .rename_axis("乡镇（街道） Township")
    )
