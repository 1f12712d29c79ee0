"""Coverage summary (覆盖概况) per county, township or village: grids, households, workers by role,
platform staff, the ratios leaders compare, cases per month by platform, on-time rate and gaps."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import resources

from sqlalchemy import text
from sqlalchemy.orm import Session

from grids.cases.assessment import StageFigures
from grids.cases.deadlines import STAGES
from grids.codes import prefix, subtree_span
from grids.coverage.gaps import KINDS, Gap, Rules, find_gaps
from grids.errors import InvalidInput, NotFound
from grids.models.base import PLATFORMS
from grids.moments import check_moment
from grids.users import Principal

LEVELS = {"county": 6, "township": 9, "village": 12}
DAYS_PER_MONTH = 365.25 / 12
_SQL = text(resources.files("grids").joinpath("sql/coverage_summary.sql").read_text(encoding="utf-8"))


@dataclass(frozen=True)
class DivisionSummary:
    """The coverage figures of one division."""

    code: str
    name: str
    grids: int
    ordinary_grids: int
    households: int
    population: int
    workers: dict[str, int]
    platform_staff: dict[str, int]
    cases: int
    cases_per_month: dict[str, float]
    stages: dict[str, StageFigures]
    """Per timed stage (receive, dispatch, handle, reply): done, on time, open and already late."""
    gaps: dict[str, int]

    @property
    def households_per_full_time(self) -> float | None:
        """Households per full-time grid worker (专职网格员)."""
        full_time = self.workers["full_time"]
        return None if full_time == 0 else round(self.households / full_time, 1)

    @property
    def grids_per_platform_staff(self) -> dict[str, float | None]:
        """Grids per staff member of each platform."""
        return {p: None if n == 0 else round(self.grids / n, 2) for p, n in self.platform_staff.items()}

    @property
    def on_time_rates(self) -> dict[str, float | None]:
        """Each stage's on-time rate: on time over (done + open and late); None when nothing counts."""
        return {
            stage: None if (rate := f.on_time_rate) is None else round(rate, 4)
            for stage, f in self.stages.items()
        }

    @property
    def handle_on_time_rate(self) -> float | None:
        """The handling stage's on-time rate (处置按时率), the one bulletins lead with."""
        return self.on_time_rates["handle"]


def summarise(
    session: Session,
    *,
    caller: Principal,
    level: str,
    at: datetime,
    code: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    rules: Rules | None = None,
) -> list[DivisionSummary]:
    """Figures for every division of `level` in the caller's jurisdiction (or in `code` within it).

    Cases are those received in [start, end), by default the 90 days before `at`; gaps are judged at `at`.
    """
    if level not in LEVELS:
        raise InvalidInput(f"level {level!r} is not one of {', '.join(LEVELS)} (层级有误)", field="level")
    start, end = window(at, start, end)
    if code is not None and not caller.sees(code):
        raise NotFound(f"{code} is not in your jurisdiction (不在辖区内)", field="code")
    scope = code or caller.scope_code
    head = "" if scope is None else prefix(scope)
    low, high = subtree_span(head)
    digits = LEVELS[level]
    times = {"at": at, "from": start, "to": end}
    rows = session.execute(
        _SQL, {"level": level, "digits": digits, "scope": head + "%", "low": low, "high": high} | times
    ).all()
    months = (end - start).total_seconds() / 86400 / DAYS_PER_MONTH
    gaps = _gap_counts(find_gaps(session, caller=caller, code=code, rules=rules, at=at), level)
    return [
        DivisionSummary(
            code=r.code,
            name=r.name,
            grids=r.grids,
            ordinary_grids=r.ordinary_grids,
            households=r.households,
            population=r.population,
            workers={"grid_head": r.grid_heads, "full_time": r.full_time, "part_time": r.part_time},
            platform_staff={p: getattr(r, f"staff_{p}") for p in PLATFORMS},
            cases=r.cases,
            cases_per_month={p: round(getattr(r, f"cases_{p}") / months, 1) for p in PLATFORMS},
            stages={
                stage: StageFigures(
                    getattr(r, f"{stage}_done"),
                    getattr(r, f"{stage}_on_time"),
                    getattr(r, f"{stage}_open_late"),
                )
                for stage in STAGES
            },
            gaps=gaps.get(r.code, dict.fromkeys(KINDS, 0)),
        )
        for r in rows
    ]


def window(at: datetime, start: datetime | None, end: datetime | None) -> tuple[datetime, datetime]:
    """The period cases are counted over: [start, end), by default the 90 days before `at`."""
    if at.tzinfo is None:
        raise InvalidInput("at needs a time zone, e.g. 2026-11-02T10:00:00+08:00 (须带时区)", field="at")
    for field, value in (("at", at), ("from", start), ("to", end)):
        check_moment(value, field=field)
    end = end or at
    start = start or end - timedelta(days=90)
    if start.tzinfo is None or end.tzinfo is None:
        raise InvalidInput("from and to need a time zone (须带时区)", field="from")
    if end <= start:
        raise InvalidInput("to must come after from (结束时间须晚于开始时间)", field="to")
    return start, end


def _gap_counts(gaps: list[Gap], level: str) -> dict[str, dict[str, int]]:
    """Gaps per division of `level` and kind; a gap of a larger division counts in none of its parts."""
    counted: dict[str, dict[str, int]] = {}
    for gap in gaps:
        code = gap.place[f"{level}_code"]
        if code is not None:
            counted.setdefault(code, dict.fromkeys(KINDS, 0))[gap.kind] += 1
    return counted
