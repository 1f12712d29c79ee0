"""Coverage gaps (覆盖缺口): ground no grid covers, grids short of workers or platform staff, grids
whose load is over the caps, and grids too far from a platform's staff — found in the database by
one read-model (grids/sql/coverage_gaps.sql), which the `coverage-gaps` map layer serves as well."""

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from grids import features
from grids.errors import InvalidInput, NotFound
from grids.moments import check_moment
from grids.users import Principal

KINDS: dict[str, tuple[str, str]] = {
    "uncovered": ("无网格覆盖", "village ground no grid covers"),
    "outside_villages": ("无村社区覆盖", "jurisdiction ground in no village"),
    "no_worker": ("无负责网格员", "no responsible grid worker"),
    "off_duty": ("当前无人值守", "no grid worker on duty"),
    "no_platform_staff": ("无平台人员", "no staff of a platform allocated"),
    "households_over_cap": ("户数超标", "households per full-time worker over the cap"),
    "open_cases_over_cap": ("在办事件超标", "open cases per worker over the cap"),
    "out_of_reach": ("平台人员过远", "platform staff too far away"),
}
SEVERITIES = ("high", "medium", "low")
GROUND = ("uncovered", "outside_villages")
CASES_LISTED = 100
_CASES_IN = text(
    "SELECT id FROM cases WHERE ST_Covers(ST_SetSRID(ST_GeomFromGeoJSON(:shape), 4490), geom) "
    "ORDER BY received_at DESC, id DESC LIMIT :n"
)
FIGURES = (
    "area_m2",
    "households",
    "cases",
    "open_cases",
    "workers",
    "households_per_worker",
    "open_cases_per_worker",
    "distance_m",
    "threshold",
)
PLACE = (
    "county_code",
    "county_name",
    "township_code",
    "township_name",
    "village_code",
    "village_name",
    "grid_code",
    "grid_name",
    "platform_code",
)
PROPERTIES = ("kind", "severity", *PLACE, *FIGURES)
PLATFORM_ZH = {
    "governance": "综治工作",
    "market": "市场监管",
    "enforcement": "综合执法",
    "services": "便民服务",
}


@dataclass(frozen=True)
class Rules:
    """The caps and distance gaps are judged by."""

    households_cap: int = 500
    """Households per full-time grid worker (the usual guideline is 300–500 per grid)."""
    open_cases_cap: int = 40
    """Open cases per responsible grid worker."""
    reach_m: float = 10_000
    """Farthest a grid's centre may lie from the nearest base of each platform's staff."""

    def __post_init__(self) -> None:
        for name in ("households_cap", "open_cases_cap", "reach_m"):
            if getattr(self, name) <= 0:
                raise InvalidInput(f"{name} must be positive (须为正数)", field=name)

    def params(self, at: datetime | None = None) -> dict[str, Any]:
        """The read-model's parameters; `at` None means now (the database's clock)."""
        return {
            "at": at,
            "households_cap": self.households_cap,
            "open_cases_cap": self.open_cases_cap,
            "reach_m": self.reach_m,
        }


@dataclass(frozen=True)
class Gap:
    """One gap: what kind, how severe, where (division chain, grid, platform), figures and shape."""

    fid: str
    kind: str
    severity: str
    place: dict[str, str | None]
    figures: dict[str, float | int | None]
    geometry: dict[str, Any] = field(repr=False)
    case_ids: list[int] = field(default_factory=list)
    """For ground gaps: the cases that fell there, latest first (at most CASES_LISTED)."""

    @property
    def where(self) -> str:
        """The narrowest place: grid, village, township or county, by code and name."""
        p = self.place
        for code, name in (
            ("grid_code", "grid_name"),
            ("village_code", "village_name"),
            ("township_code", "township_name"),
            ("county_code", "county_name"),
        ):
            if p.get(code):
                return f"{p.get(name) or ''} {p[code]}".strip()
        return ""

    @property
    def message(self) -> str:
        """What is wrong, Chinese first, with the figure that makes it a gap."""
        zh, en = KINDS[self.kind]
        platform = self.place.get("platform_code")
        if platform:
            zh = f"{zh}（{PLATFORM_ZH.get(platform, platform)}）"
            en = f"{en} ({platform})"
        detail = self._detail()
        return f"{zh} {en}: {detail}"

    def _detail(self) -> str:
        f = self.figures
        if self.kind in ("uncovered", "outside_villages"):
            return f"{f['area_m2']} m², {f['households']} 户 households, {f['cases']} 件 cases"
        if self.kind == "households_over_cap":
            per = f["households_per_worker"] if f["households_per_worker"] is not None else f["households"]
            return f"{per} 户/人 households per worker > {f['threshold']}"
        if self.kind == "open_cases_over_cap":
            return f"{f['open_cases_per_worker']} 件/人 open cases per worker > {f['threshold']}"
        if self.kind == "out_of_reach":
            return f"{f['distance_m']} m > {f['threshold']} m"
        return f"{f['households']} 户 households, {f['open_cases']} 件在办 open cases"


def find_gaps(
    session: Session,
    *,
    caller: Principal,
    code: str | None = None,
    kinds: list[str] | None = None,
    severity: str | None = None,
    rules: Rules | None = None,
    at: datetime | None = None,
) -> list[Gap]:
    """The gaps in the caller's jurisdiction, or in division `code` within it, most severe first."""
    check_moment(at, field="at")
    for kind in kinds or ():
        if kind not in KINDS:
            raise InvalidInput(f"kind {kind!r} is not one of {', '.join(KINDS)} (缺口类型有误)", field="kind")
    if severity is not None and severity not in SEVERITIES:
        raise InvalidInput(
            f"severity {severity!r} is not one of {', '.join(SEVERITIES)} (严重程度有误)", field="severity"
        )
    if code is not None and not caller.sees(code):
        raise NotFound(f"{code} is not in your jurisdiction (不在辖区内)", field="code")
    selection = features.Selection(
        source="gaps",
        scope=code or caller.scope_code,
        params=(rules or Rules()).params(at),
        filters={} if severity is None else {"severity": severity},
    )
    rows = features.all_features(session, selection=selection, properties=PROPERTIES, geometry="crs84")
    gaps = []
    for row in rows:
        props = json.loads(row.properties)
        if kinds and props["kind"] not in kinds:
            continue
        gaps.append(
            Gap(
                fid=row.fid,
                kind=props["kind"],
                severity=props["severity"],
                place={name: props[name] for name in PLACE},
                figures={name: props[name] for name in FIGURES},
                geometry=json.loads(row.geometry) if row.geometry else {},
            )
        )
    order = {kind: i for i, kind in enumerate(KINDS)}
    gaps.sort(key=lambda g: (SEVERITIES.index(g.severity), order[g.kind], g.fid))
    return gaps


def list_cases(session: Session, gaps: list[Gap]) -> None:
    """Fill in the cases that fell in each ground gap (a query per gap with cases; summaries skip it)."""
    for gap in gaps:
        if gap.kind in GROUND and gap.figures["cases"]:
            found = session.execute(_CASES_IN, {"shape": json.dumps(gap.geometry), "n": CASES_LISTED})
            gap.case_ids.extend(found.scalars())


def counts(gaps: list[Gap]) -> dict[str, int]:
    """How many gaps of each kind, every kind named."""
    return {kind: sum(1 for g in gaps if g.kind == kind) for kind in KINDS}
