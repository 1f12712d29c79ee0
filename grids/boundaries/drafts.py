"""Finding drafts and generations within a caller's jurisdiction."""

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from grids.boundaries.access import concerns, require_planner, require_within
from grids.codes import prefix
from grids.errors import Conflict, InvalidInput, NotFound
from grids.models import Division, Generation
from grids.users import Principal


def get_generation(session: Session, *, ref: str | int, caller: Principal) -> Generation:
    """A generation by id or name; one outside the caller's jurisdiction is not found."""
    query = select(Generation)
    if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit() and len(ref) < 10):
        query = query.where(Generation.id == int(ref))
    else:
        query = query.where(Generation.name == ref)
    generation = session.scalar(query)
    if generation is None or not concerns(caller, generation.scope_code):
        raise NotFound(f"no generation {ref!r} in your jurisdiction (辖区内无此网格版本)")
    return generation


def get_draft(session: Session, *, ref: str | int, caller: Principal, lock: bool = False) -> Generation:
    """A draft by id or name; a generation that is no longer a draft is not found as a draft."""
    generation = get_generation(session, ref=ref, caller=caller)
    if generation.status != "draft":
        raise NotFound(f"generation {ref!r} is {generation.status}, not a draft (该版本不是草稿)")
    if lock:
        session.refresh(generation, with_for_update=True)
        if generation.status != "draft":
            raise NotFound(f"generation {ref!r} was published meanwhile (该草稿已发布)")
    return generation


def list_generations(session: Session, *, caller: Principal, status: str | None = None) -> list[Generation]:
    """Generations touching the caller's jurisdiction (inside it or around it), newest first."""
    query = select(Generation).order_by(Generation.id.desc())
    if status is not None:
        query = query.where(Generation.status == status)
    return [g for g in session.scalars(query) if concerns(caller, g.scope_code)]


def check_draft_name(session: Session, name: str) -> str:
    """A draft name stripped, 1–100 characters and not yet used by any generation."""
    name = name.strip()
    if not name or len(name) > 100:
        raise InvalidInput("draft name must be 1–100 characters (草稿名称长度须为1–100个字符)", field="name")
    if session.scalar(select(Generation.id).where(Generation.name == name)) is not None:
        raise Conflict(f"a generation named {name!r} already exists; choose another name (名称已被使用)")
    return name


ANALYZE_ROWS = 500

_COPY_ACTIVE = text("""
INSERT INTO grids (generation_id, code, name, kind, village_code, households, population, geom)
SELECT :draft, g.code, g.name, g.kind, g.village_code, g.households, g.population, g.geom
FROM grids g JOIN generations ge ON ge.id = g.generation_id AND ge.status = 'active'
WHERE g.village_code LIKE :pattern
ORDER BY g.code
""")


def draft_from_active(
    session: Session, *, scope: str, name: str, caller: Principal
) -> tuple[Generation, int]:
    """A new draft copying the active grids of `scope`, to edit (e.g. in QGIS), and how many it holds."""
    require_planner(caller)
    require_within(caller, scope)
    name = check_draft_name(session, name)
    if session.get(Division, scope) is None:
        raise InvalidInput(f"scope {scope} is not a known division (辖区代码不存在)", field="scope")
    generation = Generation(
        name=name,
        scope_code=scope,
        status="draft",
        created_by=caller.name,
        description="copy of the active grids",
    )
    session.add(generation)
    session.flush()
    bulk_mode(session)
    result = session.execute(_COPY_ACTIVE, {"draft": generation.id, "pattern": prefix(scope) + "%"})
    copied = int(result.rowcount)  # type: ignore[attr-defined]
    analyze_after(session, copied)
    return generation, copied


def bulk_mode(session: Session) -> None:
    """Switch JIT off for this transaction, before writing many grids.

    The per-row triggers' plans look costly enough to be JIT-compiled, which costs ~15 ms a row
    for nothing (minutes for a 10,000-grid draft).
    """
    session.execute(text("SET LOCAL jit = off"))


def analyze_after(session: Session, rows: int) -> None:
    """Refresh the grids table's statistics after a bulk write, so later plans see the new draft's size.

    Without it the planner takes a new generation for one row and may loop over the whole table per
    grid (minutes instead of a second for a 10,000-grid draft).
    """
    if rows >= ANALYZE_ROWS:
        session.execute(text("ANALYZE grids"))
