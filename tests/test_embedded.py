"""The embedded PostgreSQL + PostGIS cluster and `grids db`, against real PostgreSQL 15 (no mocks)."""

import contextlib
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest
from typer.testing import CliRunner

from cli.db import app
from grids.embedded import EmbeddedPostgres, resolve_database_url
from grids.errors import EnvironmentProblem, InvalidInput
from grids.settings import DatabaseSettings

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def cluster(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[EmbeddedPostgres]:
    """An embedded cluster in this test's own home; stopped and deleted (even under /var/lib) after."""
    monkeypatch.delenv("GRIDS_DATABASE_URL", raising=False)
    monkeypatch.delenv("GRIDS_PG_BINDIR", raising=False)
    monkeypatch.setenv("GRIDS_HOME", str(tmp_path / "home"))
    embedded = EmbeddedPostgres(tmp_path / "home")
    yield embedded
    embedded.destroy()
    assert not embedded.cluster_dir.exists()


def query(url: str, statement: str) -> list[tuple[object, ...]]:
    """Run one statement in its own committed transaction and return its rows."""
    dsn = "postgresql://" + url.split("://", 1)[1]
    with contextlib.closing(psycopg2.connect(dsn)) as conn, conn, conn.cursor() as cur:
        cur.execute(statement)
        return list(cur.fetchall()) if cur.description else []


def test_up_creates_a_loopback_cluster_with_postgis(cluster: EmbeddedPostgres, tmp_path: Path) -> None:
    home_mode = stat.S_IMODE(tmp_path.stat().st_mode)
    url = cluster.up()

    assert url.startswith("postgresql+psycopg2://postgres@127.0.0.1:") and url.endswith("/grids")
    assert "POSTGIS=" in str(query(url, "SELECT postgis_full_version()")[0][0])
    assert query(url, "SELECT extname FROM pg_extension WHERE extname = 'btree_gist'") == [("btree_gist",)]
    assert query(url, "SHOW listen_addresses") == [("127.0.0.1",)]
    assert query(url, "SHOW unix_socket_directories") == [("",)]
    state = cluster.status()
    assert (state.initialised, state.running, state.url) == (True, True, url)
    assert state.server_version is not None and state.server_version.startswith("PostgreSQL 15")
    assert cluster.log_file.is_file()
    if os.geteuid() == 0:
        assert state.data_dir.is_relative_to("/var/lib/postgresql/grids-clusters")
        assert cluster.data_dir.stat().st_uid == cluster.cluster_dir.stat().st_uid != 0
    else:
        assert state.data_dir.is_relative_to(cluster.home)
    assert stat.S_IMODE(tmp_path.stat().st_mode) == home_mode


def test_status_of_nothing_does_not_raise(tmp_path: Path) -> None:
    state = EmbeddedPostgres(tmp_path / "absent").status()
    assert (state.initialised, state.running, state.port, state.url) == (False, False, None, None)
    assert not (tmp_path / "absent").exists()


def test_up_twice_is_fast_and_returns_the_same_url(cluster: EmbeddedPostgres) -> None:
    url = cluster.up()
    started = time.monotonic()
    assert cluster.up() == url
    assert time.monotonic() - started < 1.0
    assert EmbeddedPostgres(cluster.home).url() == url


def test_down_stops_and_is_idempotent(cluster: EmbeddedPostgres) -> None:
    cluster.up()
    cluster.down()
    state = cluster.status()
    assert (state.initialised, state.running, state.url) == (True, False, None)
    cluster.down()
    with pytest.raises(EnvironmentProblem, match="run `grids db up` first"):
        cluster.url()


def test_up_recovers_after_kill_9(cluster: EmbeddedPostgres) -> None:
    url = cluster.up()
    query(url, "CREATE TABLE survivor (id int PRIMARY KEY); INSERT INTO survivor VALUES (1), (2)")
    pid = int((cluster.data_dir / "postmaster.pid").read_text().split()[0])
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while cluster.status().running and time.monotonic() < deadline:
        time.sleep(0.05)  # the signal is delivered asynchronously
    assert not cluster.status().running
    assert (cluster.data_dir / "postmaster.pid").exists()  # stale, left by the killed postmaster

    assert cluster.up() == url
    assert query(url, "SELECT id FROM survivor ORDER BY id") == [(1,), (2,)]


def test_deleting_the_home_resets_the_cluster(cluster: EmbeddedPostgres) -> None:
    url = cluster.up()
    query(url, "CREATE TABLE old_data (id int)")
    if os.geteuid() != 0:
        cluster.down()  # non-root keeps the data inside home: never delete it under a live server
    shutil.rmtree(cluster.home)  # as root the cluster, still running, lives on outside home

    fresh = EmbeddedPostgres(cluster.home)
    assert not fresh.status().initialised
    url = fresh.up()
    assert query(url, "SELECT to_regclass('old_data') IS NULL") == [(True,)]


def test_port_is_remembered_and_replaced_when_taken(cluster: EmbeddedPostgres) -> None:
    first = cluster.up()
    port = cluster.status().port
    cluster.down()
    assert cluster.status().port == port
    assert cluster.up() == first
    cluster.down()

    with socket.socket() as squatter:
        # The stopped server's closed connections may leave the port in TIME_WAIT, which refuses a
        # plain bind; a listening squatter still keeps PostgreSQL off it (Linux lets no second
        # socket bind a port another socket listens on, SO_REUSEADDR or not).
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        squatter.bind(("127.0.0.1", port or 0))
        squatter.listen()
        moved = cluster.up()
        assert moved != first
        assert EmbeddedPostgres(cluster.home).status().port not in (None, port)
    cluster.down()
    assert cluster.up() == moved


def test_missing_server_package_is_named(
    cluster: EmbeddedPostgres, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("GRIDS_PG_BINDIR", str(empty))
    with pytest.raises(EnvironmentProblem) as caught:
        EmbeddedPostgres(cluster.home).up()
    assert "apt-get install postgresql-15" in caught.value.message
    assert "\n" not in caught.value.message


def test_missing_postgis_package_is_named(cluster: EmbeddedPostgres, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("grids.embedded._EXTENSION_DIR", cluster.home / "no-extensions")
    with pytest.raises(EnvironmentProblem, match=r"apt-get install postgresql-15-postgis-3$"):
        cluster.up()


def test_backup_then_restore_round_trips(cluster: EmbeddedPostgres, tmp_path: Path) -> None:
    url = cluster.up()
    query(url, "CREATE TABLE cases (id int PRIMARY KEY, at geometry(Point, 4490))")
    query(url, "INSERT INTO cases VALUES (1, 'SRID=4490;POINT(119.92 28.45)'), (2, NULL)")
    archive = tmp_path / "grids.dump"
    cluster.backup(archive)
    query(url, "DELETE FROM cases WHERE id = 1; INSERT INTO cases VALUES (3, NULL)")
    query(url, "CREATE TABLE later (at geometry)")  # uses PostGIS but is not in the backup

    cluster.restore(archive)
    assert query(url, "SELECT id, ST_AsText(at) FROM cases ORDER BY id") == [
        (1, "POINT(119.92 28.45)"),
        (2, None),
    ]


def test_restore_of_garbage_changes_nothing(cluster: EmbeddedPostgres, tmp_path: Path) -> None:
    url = cluster.up()
    query(url, "CREATE TABLE kept (id int); INSERT INTO kept VALUES (7)")
    garbage = tmp_path / "garbage.dump"
    garbage.write_bytes(b"PGDMP this is not an archive\x00\x01")
    for bad in (garbage, tmp_path / "missing.dump"):
        with pytest.raises(InvalidInput) as caught:
            cluster.restore(bad)
        assert str(bad) in caught.value.message and "\n" not in caught.value.message
    assert query(url, "SELECT id FROM kept") == [(7,)]


def test_cli_commands(cluster: EmbeddedPostgres, tmp_path: Path) -> None:
    runner = CliRunner()
    before = runner.invoke(app, ["url"])
    assert isinstance(before.exception, EnvironmentProblem)
    assert runner.invoke(app, ["status"]).exit_code == 0

    started = runner.invoke(app, ["up"])
    assert started.exit_code == 0, started.output
    url = started.output.strip().splitlines()[-1]
    assert url == cluster.url()
    assert runner.invoke(app, ["url"]).output.strip() == url
    shown = runner.invoke(app, ["status"])
    assert shown.exit_code == 0 and "15." in shown.output and str(cluster.data_dir) in shown.output

    query(url, "CREATE TABLE t (id int); INSERT INTO t VALUES (1)")
    archive = tmp_path / "cli.dump"
    assert runner.invoke(app, ["backup", str(archive)]).exit_code == 0
    query(url, "DELETE FROM t")
    assert runner.invoke(app, ["restore", str(archive)]).exit_code == 0
    assert query(url, "SELECT id FROM t") == [(1,)]

    # The same server named by GRIDS_DATABASE_URL: backup and restore go through that URL instead.
    external = {"GRIDS_DATABASE_URL": url.replace("postgresql+psycopg2://", "postgres://")}
    assert runner.invoke(app, ["backup", str(tmp_path / "external.dump")], env=external).exit_code == 0
    query(url, "DELETE FROM t")
    assert runner.invoke(app, ["restore", str(tmp_path / "external.dump")], env=external).exit_code == 0
    assert query(url, "SELECT id FROM t") == [(1,)]
    assert runner.invoke(app, ["down"], env=external).output.startswith("An external database")
    assert cluster.status().running

    assert runner.invoke(app, ["down"]).exit_code == 0
    assert not cluster.status().running


def test_cli_with_an_external_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRIDS_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("GRIDS_DATABASE_URL", "postgres://alice:s3cret@db.example:5432/grids")
    runner = CliRunner()
    for command in ("up", "down"):
        result = runner.invoke(app, [command])
        assert result.exit_code == 0 and "external database" in result.output
    assert (
        runner.invoke(app, ["url"]).output.strip()
        == "postgresql+psycopg2://alice:s3cret@db.example:5432/grids"
    )
    shown = runner.invoke(app, ["status"]).output
    assert "s3cret" not in shown and "db.example" in shown
    assert not (tmp_path / "home").exists()
    assert (
        resolve_database_url(DatabaseSettings(database_url="postgresql://h/d")) == "postgresql+psycopg2://h/d"
    )


def test_grids_db_url_before_up_exits_2_with_one_line(tmp_path: Path) -> None:
    env = {**os.environ, "GRIDS_HOME": str(tmp_path / "home")}
    env.pop("GRIDS_DATABASE_URL", None)
    result = subprocess.run(
        [sys.executable, "-c", "from cli.main import main; main()", "db", "url"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1 and "grids db up" in result.stderr
