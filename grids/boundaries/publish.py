"""Publishing a draft: refused while anything blocks, then one transaction that activates it whole,
retires what it replaces, carries assignments over by code and re-homes the open cases."""

from dataclasses import dataclass, field
from importlib.resources import files

from sqlalchemy import text
from sqlalchemy.orm import Session

from grids.boundaries.access import require_planner, require_within
from grids.boundaries.diff import Diff, diff_draft
from grids.boundaries.drafts import analyze_after, bulk_mode, get_draft
from grids.boundaries.plan import Plan, make_plan
from grids.boundaries.validate import BoundarySettings, Report, validate_draft
from grids.codes import prefix
from grids.errors import Conflict
from grids.models.cases import OPEN_CONDITION
from grids.users import Principal

REHOME = text(
    files("grids")
    .joinpath("sql/boundaries_rehome.sql")
    .read_text(encoding="utf-8")
    .replace("{open_condition}", OPEN_CONDITION)
)
_LOCK = text("SELECT grids_lock_active()")
_TOUCHING = text("""
SELECT id, scope_code FROM generations
WHERE status = 'active'
  AND (division_prefix(scope_code) LIKE :p || '%' OR :p LIKE division_prefix(scope_code) || '%')
ORDER BY id
""")
_RENUMBER = text("UPDATE grids SET code = :code WHERE id = :id")
_MULTI = text("""
UPDATE grids SET geom = ST_Multi(geom) WHERE generation_id = :g AND GeometryType(geom) = 'POLYGON'
""")
_CARRY_OUTSIDE = text("""
INSERT INTO grids (generation_id, code, name, kind, village_code, households, population, geom)
SELECT :draft, code, name, kind, village_code, households, population, geom
FROM grids WHERE generation_id = :old AND village_code NOT LIKE :p
""")
_RETIRE = text("UPDATE generations SET status = 'retired', retired_at = now() WHERE id = ANY(:ids)")
_ACTIVATE = text("""
UPDATE generations SET status = 'active', activated_at = now(), activated_by = :who, scope_code = :scope
WHERE id = :g
""")
_END_ASSIGNMENTS = text("""
UPDATE worker_assignments SET valid_to = now()
WHERE grid_code = ANY(CAST(:codes AS bpchar[]))
  AND valid_from < now() AND (valid_to IS NULL OR valid_to > now())
""")
_COUNTIES = text("SELECT code FROM divisions WHERE level = 'county' AND code LIKE :p")
_WITHOUT_WORKER = text("""
SELECT g.code FROM grids g
WHERE g.generation_id = :g AND g.village_code LIKE :p AND NOT EXISTS (
  SELECT 1 FROM worker_assignments a
  WHERE a.grid_code = g.code AND a.kind = 'primary'
    AND a.valid_from <= now() AND (a.valid_to IS NULL OR a.valid_to > now())
)
ORDER BY g.code
""")


@dataclass
class Publication:
    """What a publish did (or, in a dry run, would do)."""

    generation_id: int
    name: str
    scope_code: str
    committed: bool
    validation: Report
    counts: dict[str, int]
    numbered: dict[str, int] = field(default_factory=dict)
    retired_generations: list[int] = field(default_factory=list)
    cases_rehomed: int = 0
    assignments_ended: int = 0
    grids_without_worker: list[str] = field(default_factory=list)
    diff: Diff | None = None


def publish_draft(
    session: Session,
    *,
    ref: str | int,
    caller: Principal,
    commit: bool = False,
    settings: BoundarySettings | None = None,
) -> Publication:
    """Publish a draft, or only say what publishing would do (`commit=False`, the default)."""
    require_planner(caller)
    session.execute(_LOCK)  # one publisher at a time: the plan below stays true until commit
    generation = get_draft(session, ref=ref, caller=caller, lock=True)
    require_within(caller, generation.scope_code)
    report = validate_draft(session, generation=generation, settings=settings)
    if report.blocking:
        blocking = {
            k: n
            for k, n in report.counts().items()
            if any(p.kind == k and p.severity == "blocking" for p in report.problems)
        }
        raise Conflict(
            f"draft {generation.name!r} cannot be published while problems block it: "
            f"{', '.join(f'{k} {n}' for k, n in sorted(blocking.items()))}; run validate for details "
            "(草稿存在阻断性问题，不能发布)"
        )
    if not commit:
        diff = diff_draft(session, generation=generation, caller=caller)
        return _publication(
            generation.id, generation.name, generation.scope_code, False, report, diff.plan, diff=diff
        )
    return _commit(session, make_plan(session, generation=generation, draft=report.data), report, caller)


def _commit(session: Session, plan: Plan, report: Report, caller: Principal) -> Publication:
    generation = plan.generation
    draft_prefix = prefix(generation.scope_code)
    bulk_mode(session)
    renumber = [
        {"id": c.draft_id, "code": c.code}
        for c in plan.changes
        if c.draft_id is not None and c.code_source in ("numbered", "persisted")
    ]
    if renumber:
        session.execute(_RENUMBER, renumber)
    session.execute(_MULTI, {"g": generation.id})
    touching = session.execute(_TOUCHING, {"p": draft_prefix}).all()
    scope = generation.scope_code
    for old_id, old_scope in touching:
        if old_scope != scope and draft_prefix.startswith(prefix(old_scope)):
            # The draft redraws part of a wider active generation: the rest of it carries over unchanged.
            carried = session.execute(
                _CARRY_OUTSIDE, {"draft": generation.id, "old": old_id, "p": draft_prefix + "%"}
            )
            analyze_after(session, int(carried.rowcount))  # type: ignore[attr-defined]
            scope = old_scope
    retired = [int(r[0]) for r in touching]
    session.execute(_RETIRE, {"ids": retired})
    session.execute(_ACTIVATE, {"g": generation.id, "who": caller.name, "scope": scope})
    removed = [c.code for c in plan.changes if c.change == "removed"]
    ended = session.execute(_END_ASSIGNMENTS, {"codes": removed}) if removed else None
    changed_ids = [c.draft_id for c in plan.changes if c.change in ("reshaped", "added")]
    old_codes = [c.code for c in plan.changes if c.change in ("reshaped", "removed")]
    counties = list(session.scalars(_COUNTIES, {"p": draft_prefix[:6] + "%"}))
    moved = session.execute(
        REHOME,
        {
            "changed_ids": changed_ids,
            "old_codes": old_codes,
            "counties": counties,
            "generation": generation.id,
            "actor_id": caller.user_id,
            "actor": caller.name,
        },
    )
    lonely = list(session.scalars(_WITHOUT_WORKER, {"g": generation.id, "p": draft_prefix + "%"}))
    publication = _publication(generation.id, generation.name, scope, True, report, plan)
    publication.retired_generations = retired
    publication.cases_rehomed = int(moved.rowcount)  # type: ignore[attr-defined]
    publication.assignments_ended = 0 if ended is None else int(ended.rowcount)  # type: ignore[attr-defined]
    publication.grids_without_worker = lonely
    return publication


def _publication(
    generation_id: int,
    name: str,
    scope: str,
    committed: bool,
    report: Report,
    plan: Plan,
    diff: Diff | None = None,
) -> Publication:
    numbered: dict[str, int] = {}
    for c in plan.changes:
        if c.code_source == "numbered" and c.draft_id is not None:
            numbered[c.code] = c.draft_id
    return Publication(
        generation_id,
        name,
        scope,
        committed,
        report,
        plan.counts(),
        numbered=numbered,
        retired_generations=plan.active_generations,
        cases_rehomed=len(diff.cases) if diff else 0,
        diff=diff,
    )
