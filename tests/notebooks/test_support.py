"""What the notebooks stand on: the never-committing session, the caller, the database lookup, the
offline page, the Chinese font, the month split, the tables and the coverage presets."""

import io
import warnings
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path

import pydeck as pdk
import pytest
from sqlalchemy import Engine, text

from grids.cases.assessment import assess
from grids.coverage.allocation import propose
from grids.coverage.gaps import SEVERITIES
from grids.errors import EnvironmentProblem, GridsError, InvalidInput
from grids.users import Principal
from layers import deck, notebook, page, reports
from tests.conftest import Demo

CALLER = Principal(0, "notebook", "leader", None, None)


@pytest.fixture
def on_demo(demo_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The notebook settings pointed at this module's copy of the demo city."""
    monkeypatch.setenv("GRIDS_DATABASE_URL", demo_url)
    return demo_url


def test_a_notebook_session_never_commits(on_demo: str, engine: Engine, demo: Demo) -> None:
    """Commit is refused; closing rolls back a stored proposal; the plan's tables add up."""
    session = notebook.open_session()
    township = demo.summary.township_codes[0]
    plan = propose(session, caller=CALLER, code=township, platform="services", at=datetime.now(UTC))
    with pytest.raises(GridsError, match="笔记本只读"):
        session.commit()
    notebook.close_session(session)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM allocation_plans")).scalar_one() == 0
    staff = reports.plan_staff(plan)
    figures = reports.plan_figures(plan)
    assert len(staff) == len(plan.result["positions"])
    assert staff["方案网格 Grids proposed"].sum() == len(plan.result["grids"])
    assert staff["方案负荷 Load proposed"].max() == figures.loc[figures.index[0], "方案 Proposed"]
    assert figures.index[0].startswith("最大负荷")


def test_the_leader_and_the_database_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A scope narrows the leader; a bad one is named; `.grids` is found above the notebook's folder."""
    monkeypatch.delenv(notebook.SCOPE_ENV, raising=False)
    assert notebook.leader().scope_code is None
    monkeypatch.setenv(notebook.SCOPE_ENV, "990103")
    assert notebook.leader() == Principal(0, "notebook", "leader", "990103000000", None)
    monkeypatch.setenv(notebook.SCOPE_ENV, "lishui")
    with pytest.raises(InvalidInput, match=notebook.SCOPE_ENV):
        notebook.leader()
    for name in ("GRIDS_DATABASE_URL", "GRIDS_HOME"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / ".grids").mkdir()
    (tmp_path / "notebooks").mkdir()
    monkeypatch.chdir(tmp_path / "notebooks")
    with pytest.raises(EnvironmentProblem) as stopped:  # found, but no cluster runs there
        notebook.database_url()
    assert str(tmp_path / ".grids") in str(stopped.value)
    monkeypatch.setenv("GRIDS_DATABASE_URL", "postgresql://someone@db.example:5432/grids")
    assert notebook.database_url() == "postgresql+psycopg2://someone@db.example:5432/grids"


def test_maps_go_where_the_environment_says(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """`GRIDS_NOTEBOOK_OUT` names the folder (made if missing), else `out` in the working folder."""
    monkeypatch.setenv(notebook.OUT_ENV, str(tmp_path / "maps"))
    assert notebook.out_dir() == tmp_path / "maps" and (tmp_path / "maps").is_dir()
    monkeypatch.delenv(notebook.OUT_ENV)
    monkeypatch.chdir(tmp_path)
    assert notebook.out_dir() == Path("out") and (tmp_path / "out").is_dir()


def test_the_page_escapes_what_it_shows(tmp_path: Path) -> None:
    """Titles, notes and legends are escaped; data cannot close the page's script early."""
    hostile = "</script><script>alert(1)</script>"
    layer = pdk.Layer("ScatterplotLayer", [{"position": [120, 28], "tip": hostile}], id="points")
    view = pdk.ViewState(longitude=120, latitude=28, zoom=10)
    made = page.render(
        deck.frame([layer], view),
        title=f"标题 {hostile}",
        notes=[hostile],
        legend=[page.Legend(hostile, [([1, 2, 3], hostile)])],
        choices=[page.Choice(hostile, ["points"])],
    )
    plain = page.render(deck.frame([pdk.Layer("ScatterplotLayer", [], id="points")], view), title="x")
    assert made.count("</script>") == plain.count("</script>")
    assert "&lt;/script&gt;&lt;script&gt;alert(1)" in made
    written = page.write(made, tmp_path / "maps", "hostile")
    assert written == tmp_path / "maps" / "hostile.html" and written.read_text(encoding="utf-8") == made


def test_charts_draw_chinese_without_missing_glyphs() -> None:
    """A CJK font is found (added if matplotlib's cache predates it) and every glyph is drawn."""
    from matplotlib.figure import Figure

    name = notebook.use_chinese_font()
    assert name in notebook.CJK_FONTS
    figure = Figure()
    figure.subplots().set_title("处置按时率逐月趋势 On-time rate by month")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns of each glyph its font lacks
        figure.savefig(io.BytesIO(), format="png")


def test_months_follow_china_standard_time() -> None:
    """Calendar months in UTC+8, clipped to the period, the clipped ones marked partial."""
    start = datetime(2026, 8, 30, 16, 41, tzinfo=UTC)  # 2026-08-31 00:41 in Beijing
    end = datetime(2026, 11, 28, 8, 3, tzinfo=UTC)
    found = reports.months(start, end)
    assert [m.label[:7] for m in found] == ["2026-08", "2026-09", "2026-10", "2026-11"]
    assert [m.partial for m in found] == [True, False, False, True]
    assert found[0].start == start and found[-1].end == end
    assert found[1].start == datetime(2026, 8, 31, 16, tzinfo=UTC)
    assert all(a.end == b.start for a, b in pairwise(found))
    turn = reports.months(datetime(2026, 11, 30, 16, tzinfo=UTC), datetime(2027, 1, 31, 16, tzinfo=UTC))
    assert [(m.label, m.partial) for m in turn] == [("2026-12", False), ("2027-01", False)]


def test_monthly_figures_add_up_to_the_whole_period(on_demo: str, demo: Demo) -> None:
    """Cases and handled counts over the months equal those of one assessment of the whole period."""
    session = notebook.open_session()
    try:
        first, last = reports.case_period(session, caller=CALLER)
        now = datetime.now(UTC)
        whole = assess(session, caller=CALLER, level="township", start=first, end=now, now=now)
        by_month = reports.monthly(session, caller=CALLER, start=first, end=now, now=now)
        trend = reports.stage_trend(by_month)
        per_township = reports.township_trend(by_month)
        table = reports.stage_table(whole)
    finally:
        notebook.close_session(session)
    assert first < last <= now
    assert trend["事件数 Cases"].sum() == sum(f.cases for f in whole) > 0
    assert (
        sum(reports.total(fs, "handle").done for fs in by_month.values())
        == reports.total(whole, "handle").done
    )
    assert list(per_township.columns) == list(by_month) and len(per_township) == len(whole)
    assert len(table) == len(demo.summary.township_codes)
    handled = reports.total(whole, "handle").on_time_rate
    assert handled is not None and 0 < handled < 1


def test_coverage_tables_and_presets(on_demo: str, demo: Demo) -> None:
    """The township table has a row per township; gaps are drawn least severe first, coloured by kind."""
    from grids.coverage.gaps import find_gaps
    from grids.coverage.summary import summarise

    session = notebook.open_session()
    try:
        now = datetime.now(UTC)
        table = reports.township_table(summarise(session, caller=CALLER, level="township", at=now))
        gaps = find_gaps(session, caller=CALLER, at=now)
        listed = reports.gap_list(gaps)
        counted = reports.gap_table(gaps)
        layer = deck.gap_layer(session, caller=CALLER)
        rates = {demo.summary.township_codes[0]: 0.97}
        rated = deck.rate_layer(session, caller=CALLER, rates=rates, label="处置按时率")
    finally:
        notebook.close_session(session)
    assert sorted(table["代码 Code"]) == sorted(demo.summary.township_codes)
    assert counted["个数 Count"].sum() == len(gaps) and len(listed) == sum(g.severity == "high" for g in gaps)
    order = [SEVERITIES.index(f["properties"]["severity"]) for f in layer.data["features"]]
    assert order == sorted(order, reverse=True) and len(order) == len(gaps)
    assert all(
        f["properties"]["line"] == deck.GAP_COLOURS[f["properties"]["kind"]] for f in layer.data["features"]
    )
    fills = {f["properties"]["code"]: f["properties"]["fill"] for f in rated.data["features"]}
    assert fills.pop(demo.summary.township_codes[0]) == deck.rate_colour(0.97) != deck.NO_RATE
    assert set(map(tuple, fills.values())) == {tuple(deck.NO_RATE)}
