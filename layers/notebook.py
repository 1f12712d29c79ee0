"""What every leaders' notebook needs: a session that never commits, the caller, where maps go, and
matplotlib drawing Chinese.

The database is the project's usual one: `GRIDS_DATABASE_URL`, else the running embedded cluster of
`GRIDS_HOME`. Jupyter runs a kernel in the notebook's folder, so when `GRIDS_HOME` is unset the
default data folder `.grids` is looked for there and in the folders above (where `grids demo` ran).
"""

import os
from pathlib import Path

from sqlalchemy import Engine, event
from sqlalchemy.orm import Session

from grids.codes import division_code
from grids.db import make_engine
from grids.embedded import resolve_database_url
from grids.errors import EnvironmentProblem, GridsError
from grids.settings import DatabaseSettings
from grids.users import Principal

OUT_ENV = "GRIDS_NOTEBOOK_OUT"
SCOPE_ENV = "GRIDS_NOTEBOOK_SCOPE"
CJK_FONTS = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Microsoft YaHei",
    "SimHei",
    "PingFang SC",
)


def database_url() -> str:
    """The configured database, finding `grids demo`'s data folder above the notebook's when needed."""
    settings = DatabaseSettings()
    if settings.database_url is None and "GRIDS_HOME" not in os.environ and not settings.home.is_absolute():
        here = Path.cwd()
        found = next((d / settings.home for d in (here, *here.parents) if (d / settings.home).is_dir()), None)
        if found is not None:
            settings = settings.model_copy(update={"home": found})
    return resolve_database_url(settings)


def _refuse_commit(session: Session) -> None:
    raise GridsError("a notebook writes nothing: its session is rolled back, never committed (笔记本只读)")


def open_session() -> Session:
    """A session on the configured database that refuses to commit: close it with `close_session`."""
    session = Session(make_engine(database_url(), pool_size=1))
    event.listen(session, "before_commit", _refuse_commit)
    return session


def close_session(session: Session) -> None:
    """Roll back whatever the notebook did (e.g. a stored proposal), close, and release the engine."""
    engine = session.get_bind()
    session.rollback()
    session.close()
    if isinstance(engine, Engine):
        engine.dispose()


def leader() -> Principal:
    """A leader over `GRIDS_NOTEBOOK_SCOPE` (a division code), or over the whole installation."""
    raw = os.environ.get(SCOPE_ENV, "").strip()
    scope = division_code(raw, field=SCOPE_ENV) if raw else None
    return Principal(0, "notebook", "leader", scope, None)


def out_dir() -> Path:
    """Where notebooks write their maps: `GRIDS_NOTEBOOK_OUT`, else `out` beside the notebook."""
    folder = Path(os.environ.get(OUT_ENV) or "out")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def use_chinese_font() -> str:
    """Make matplotlib draw Chinese with a CJK font installed here; returns the font's name."""
    from matplotlib import font_manager, rcParams  # loaded only where charts are drawn

    def installed() -> set[str]:
        return {f.name for f in font_manager.fontManager.ttflist}

    if not installed() & set(CJK_FONTS):
        # matplotlib's font list is cached: fonts installed after it was built are added here.
        for path in font_manager.findSystemFonts():
            font_manager.fontManager.addfont(path)
    name = next((n for n in CJK_FONTS if n in installed()), None)
    if name is None:
        raise EnvironmentProblem(
            "no Chinese font for charts: install fonts-noto-cjk or fonts-wqy-microhei (缺少中文字体)"
        )
    rcParams["font.sans-serif"] = [name, *rcParams["font.sans-serif"]]
    rcParams["font.family"] = "sans-serif"
    rcParams["axes.unicode_minus"] = False
    return name
