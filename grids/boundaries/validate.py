"""The validation report of a draft: every problem with its kind, severity, grids, place and message."""

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.coverage import (
    Finding,
    Rules,
    area_m2,
    covered_union,
    gaps,
    outside,
    overlaps,
    shape_faults,
    suspects,
    usable_shapes,
)
from grids.boundaries.messages import message
from grids.codes import prefix
from grids.households import refresh_grid_figures
from grids.models import Generation

BLOCKING, WARNING = "blocking", "warning"
WARNINGS = {"sliver_gap", "households_out_of_range"}

_GRIDS = text("""
SELECT id, code, kind, village_code, households, ST_AsBinary(geom)
FROM grids WHERE generation_id = :g ORDER BY code, id
""")
_VILLAGES = text("""
SELECT code, ST_AsBinary(geom) FROM divisions WHERE level = 'village' AND code LIKE :p ORDER BY code
""")
_RETIRED = text("""
SELECT g.code FROM grids g JOIN generations ge ON ge.id = g.generation_id AND ge.status = 'retired'
WHERE g.code = ANY(:codes)
EXCEPT
SELECT g.code FROM grids g JOIN generations ge ON ge.id = g.generation_id AND ge.status = 'active'
WHERE g.code = ANY(:codes)
""")


class BoundarySettings(BaseSettings):
    """`GRIDS_BOUNDARIES_*`: the tolerances and household range validation applies."""

    model_config = SettingsConfigDict(env_prefix="GRIDS_BOUNDARIES_", extra="ignore")

    households_min: int = 100
    households_max: int = 800
    outside_m: float = 1.0
    sliver_m2: float = 10.0
    snap_m: float = 0.5

    def rules(self) -> Rules:
        """The geometric tolerances."""
        return Rules(outside_m=self.outside_m, sliver_m2=self.sliver_m2, snap_m=self.snap_m)


@dataclass(frozen=True)
class Problem:
    """One problem of a draft; `geometry` and `location` are in the storage CRS (longitude, latitude)."""

    kind: str
    severity: str
    grid_codes: list[str]
    grid_ids: list[int]
    village_code: str | None
    location: tuple[float, float] | None
    geometry: shapely.Geometry | None
    area_m2: float | None
    message_zh: str
    message_en: str
    reason: str | None = None
    fixable: bool | None = None


@dataclass(frozen=True)
class Report:
    """The validation report of one draft."""

    generation_id: int
    name: str
    scope_code: str
    grids: int
    problems: list[Problem] = field(default_factory=list)
    data: "DraftData | None" = field(default=None, repr=False, compare=False)

    @property
    def blocking(self) -> bool:
        """Whether anything stops the draft from being published."""
        return any(p.severity == BLOCKING for p in self.problems)

    def counts(self) -> dict[str, int]:
        """Problems per kind."""
        return dict(Counter(p.kind for p in self.problems))


@dataclass
class DraftData:
    """A draft's grids and its scope's villages as loaded for checking (storage CRS)."""

    ids: list[int]
    codes: list[str]
    kinds: list[str]
    villages_of: list[str | None]
    households: list[int]
    geoms: np.ndarray
    village_codes: list[str]
    village_geoms: np.ndarray

    def label(self, i: int) -> str:
        """A grid's code, or its row id when it has none yet."""
        return self.codes[i] or f"#{self.ids[i]}"

    def homes(self) -> np.ndarray:
        """Each grid's village boundary (None where the village is unknown or has no boundary)."""
        at = {c: i for i, c in enumerate(self.village_codes)}
        return np.array(
            [None if v not in at else self.village_geoms[at[v]] for v in self.villages_of], dtype=object
        )

    def gridded(self) -> np.ndarray:
        """Which villages of the scope hold at least one grid of the draft."""
        held = set(self.villages_of)
        return np.array([c in held for c in self.village_codes], dtype=bool)


def load_draft(session: Session, generation: Generation) -> DraftData:
    """The draft's grids and the villages of its scope."""
    rows = session.execute(_GRIDS, {"g": generation.id}).all()
    villages = session.execute(_VILLAGES, {"p": prefix(generation.scope_code) + "%"}).all()
    grid_geoms = shapely.from_wkb([bytes(r[5]) for r in rows]) if rows else np.empty(0, dtype=object)
    village_geoms = np.array(
        [None if r[1] is None else shapely.from_wkb(bytes(r[1])) for r in villages], dtype=object
    )
    return DraftData(
        ids=[int(r[0]) for r in rows],
        codes=[r[1] for r in rows],
        kinds=[r[2] for r in rows],
        villages_of=[r[3] for r in rows],
        households=[int(r[4]) for r in rows],
        geoms=np.asarray(grid_geoms, dtype=object),
        village_codes=[r[0] for r in villages],
        village_geoms=village_geoms,
    )


def validate_draft(
    session: Session, *, generation: Generation, settings: BoundarySettings | None = None
) -> Report:
    """Check a draft; its household figures are refreshed first (QGIS edits may have moved its grids)."""
    settings = settings or BoundarySettings()
    refresh_grid_figures(session, generation_id=generation.id)
    data = load_draft(session, generation)
    problems = check(session, data, generation.scope_code, settings)
    return Report(generation.id, generation.name, generation.scope_code, len(data.ids), problems, data)


def check(session: Session, data: DraftData, scope_code: str, settings: BoundarySettings) -> list[Problem]:
    """Every problem of a loaded draft, blocking ones first."""
    rules = settings.rules()
    shapes = usable_shapes(data.geoms)
    suspect = suspects(shapes)
    gridded = data.gridded()
    findings = [
        *shape_faults(data.geoms),
        *overlaps(shapes, suspect, rules, repaired_ones=~shapely.is_valid(data.geoms)),
        *gaps(data.village_geoms, covered_union(shapes, suspect), rules, ignore=~gridded),
        *outside(shapes, data.homes(), rules),
    ]
    problems = [_geometric(data, f) for f in findings]
    problems += _code_problems(session, data, scope_code)
    problems += _village_problems(data, gridded)
    problems += _household_problems(data, settings)
    order = {BLOCKING: 0, WARNING: 1}
    return sorted(problems, key=lambda p: (order[p.severity], p.kind, p.grid_codes, p.village_code or ""))


def _location(point: shapely.Geometry | None) -> tuple[float, float] | None:
    return None if point is None else (round(float(point.x), 7), round(float(point.y), 7))


def _problem(kind: str, data: DraftData, grids: tuple[int, ...], **values: Any) -> Problem:
    geometry, point = values.pop("geometry", None), values.pop("point", None)
    village = values.pop("village_code", None)
    if village is None and grids:
        village = data.villages_of[grids[0]]
    codes = [data.label(i) for i in grids]
    area = values.get("area_m2")
    zh, en = message(kind, codes=codes, village=village, **values)
    return Problem(
        kind=kind,
        severity=WARNING if kind in WARNINGS else BLOCKING,
        grid_codes=codes,
        grid_ids=[data.ids[i] for i in grids],
        village_code=village,
        location=_location(point),
        geometry=geometry,
        area_m2=None if area is None else round(float(area), 2),
        message_zh=zh,
        message_en=en,
        reason=values.get("reason"),
        fixable=values.get("fixable"),
    )


def _geometric(data: DraftData, f: Finding) -> Problem:
    village = data.village_codes[f.village] if f.village is not None else None
    return _problem(
        f.kind,
        data,
        f.grids,
        geometry=f.geom,
        point=f.point,
        village_code=village,
        area_m2=f.area_m2,
        reason=f.reason,
        fixable=f.fixable,
    )


def _code_problems(session: Session, data: DraftData, scope_code: str) -> list[Problem]:
    problems = []
    by_code: dict[str, list[int]] = {}
    for i, code in enumerate(data.codes):
        if code:
            by_code.setdefault(code, []).append(i)
    well_formed = {c for c in by_code if len(c) == 15 and c.isdigit() and c.isascii()}
    retired = set(session.scalars(_RETIRED, {"codes": sorted(well_formed)})) if well_formed else set()
    for code, grids in by_code.items():
        if code not in well_formed:
            problems.append(_problem("malformed_code", data, tuple(grids), **_where(data, grids[0])))
            continue
        if len(grids) > 1:
            joined = shapely.geometrycollections([g for g in data.geoms[grids] if g is not None])
            where = {"geometry": joined, "point": _centre(data.geoms[grids[0]])}
            problems.append(_problem("duplicate_code", data, tuple(grids), **where))
        if code in retired:
            problems.append(_problem("retired_code", data, tuple(grids), **_where(data, grids[0])))
    scope = prefix(scope_code)
    for i, (code, village) in enumerate(zip(data.codes, data.villages_of, strict=True)):
        if village is None:
            problems.append(_problem("no_village", data, (i,), **_where(data, i)))
        elif not village.startswith(scope):
            problems.append(_problem("outside_scope", data, (i,), scope=scope_code, **_where(data, i)))
        elif code in well_formed and code[:12] != village:
            problems.append(_problem("code_not_under_village", data, (i,), **_where(data, i)))
    return problems


def _where(data: DraftData, i: int) -> dict[str, shapely.Geometry | None]:
    return {"geometry": data.geoms[i], "point": _centre(data.geoms[i])}


def _centre(geom: shapely.Geometry | None) -> shapely.Geometry | None:
    if geom is None or geom.is_empty:
        return None
    return shapely.point_on_surface(geom if geom.is_valid else shapely.make_valid(geom))


def _village_problems(data: DraftData, gridded: np.ndarray) -> list[Problem]:
    return [
        _problem(
            "village_without_grid",
            data,
            (),
            village_code=code,
            geometry=data.village_geoms[v],
            point=_centre(data.village_geoms[v]),
            area_m2=None
            if data.village_geoms[v] is None
            else float(area_m2(data.village_geoms[v : v + 1])[0]),
        )
        for v, code in enumerate(data.village_codes)
        if not gridded[v]
    ]


def _household_problems(data: DraftData, settings: BoundarySettings) -> list[Problem]:
    low, high = settings.households_min, settings.households_max
    return [
        _problem("households_out_of_range", data, (i,), households=n, low=low, high=high, **_where(data, i))
        for i, n in enumerate(data.households)
        if data.kinds[i] == "ordinary" and not low <= n <= high
    ]


def problems_geojson(report: Report) -> dict[str, Any]:
    """The problems as an RFC 7946 FeatureCollection for QGIS: offending geometry, else the location."""
    features = []
    for p in report.problems:
        geometry = p.geometry if p.geometry is not None and not p.geometry.is_empty else None
        if geometry is None and p.location is not None:
            geometry = shapely.Point(p.location)
        features.append(
            {
                "type": "Feature",
                "geometry": None if geometry is None else shapely.geometry.mapping(geometry),
                "properties": {
                    "kind": p.kind,
                    "severity": p.severity,
                    "grid_codes": ",".join(p.grid_codes),
                    "grid_ids": ",".join(map(str, p.grid_ids)),
                    "village_code": p.village_code,
                    "area_m2": p.area_m2,
                    "message_zh": p.message_zh,
                    "message_en": p.message_en,
                    "reason": p.reason,
                },
            }
        )
    return {"type": "FeatureCollection", "name": f"{report.name} validation", "features": features}
