"""Embedded PostgreSQL 15 + PostGIS: a private loopback cluster owned by the data folder."""

import contextlib
import fcntl
import hashlib
import json
import os
import pwd
import random
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg2
from psycopg2 import sql
from psycopg2.extensions import make_dsn, parse_dsn

from grids.errors import EnvironmentProblem, InvalidInput
from grids.settings import DatabaseSettings

PG_MAJOR = 15
_EXTENSION_DIR = Path(f"/usr/share/postgresql/{PG_MAJOR}/extension")
# initdb and the server refuse to run as root, and the postgres user cannot enter a 0700 home
# (CI clones into `mktemp -d`), so as root the cluster lives where postgres can reach it.
_ROOT_CLUSTERS = Path("/var/lib/postgresql/grids-clusters")
_STATE_FILE = "embedded.json"
_EXTENSIONS = ("postgis", "btree_gist")
_SERVER_SETTINGS = """
# --- grids embedded cluster ---
listen_addresses = '127.0.0.1'
unix_socket_directories = ''
max_connections = 100
shared_buffers = 256MB
fsync = on
"""
# Trust is safe only because the server listens on 127.0.0.1 alone and has no unix socket: this is
# a private development cluster, reachable by local processes only. Never copy this to a shared host.
_PG_HBA = "host all all 127.0.0.1/32 trust\n"


@dataclass(frozen=True)
class EmbeddedStatus:
    """What `grids db status` reports about the embedded cluster."""

    initialised: bool
    running: bool
    port: int | None
    data_dir: Path
    url: str | None
    server_version: str | None


class EmbeddedPostgres:
    """A private PostgreSQL 15 + PostGIS cluster belonging to one data folder."""

    def __init__(self, home: Path, database: str = "grids") -> None:
        self.home = Path(home).resolve()
        self.database = database
        self.bindir = _bindir()
        self._as_root = os.geteuid() == 0
        if self._as_root:
            self.cluster_dir = _ROOT_CLUSTERS / hashlib.sha256(str(self.home).encode()).hexdigest()[:16]
        else:
            self.cluster_dir = self.home / "postgres"
        self.data_dir = self.cluster_dir / "data"
        self.log_file = self.cluster_dir / "server.log"

    def up(self) -> str:
        """Create the cluster once, start it unless running, and return its SQLAlchemy URL."""
        self._check_packages()
        with self._lock():
            port = self._running_port()
            if not self._initialised():
                if port is not None:
                    self._stop()  # an orphan still running after its data folder was deleted
                self._create()
                port = None
            if port is None:
                port = self._start(_choose_port(self._load_state().get("port")))
            self._prepare_database(port)
            return _url(port, self.database)

    def down(self) -> None:
        """Stop the cluster with a fast shutdown; nothing happens when it is not running."""
        if self._running_port() is None:
            return
        with self._lock():
            self._stop()

    def status(self) -> EmbeddedStatus:
        """Describe the cluster; never raises, even when nothing has been created yet."""
        port = self._running_port()
        version = None
        if port is not None:
            with (
                contextlib.suppress(psycopg2.Error),
                _connect(port, "postgres") as conn,
                conn.cursor() as cur,
            ):
                cur.execute("SELECT version()")
                version = str(cur.fetchone()[0]).split(" on ")[0]
        remembered = self._load_state().get("port")
        return EmbeddedStatus(
            initialised=self._initialised(),
            running=port is not None,
            port=port or (remembered if isinstance(remembered, int) else None),
            data_dir=self.data_dir,
            url=_url(port, self.database) if port is not None else None,
            server_version=version,
        )

    def url(self) -> str:
        """URL of the running cluster; raises EnvironmentProblem when it is not running."""
        port = self._running_port()
        if port is None:
            raise EnvironmentProblem(
                f"the embedded database of {self.home} is not running: run `grids db up` first"
            )
        return _url(port, self.database)

    def backup(self, file: Path) -> None:
        """Write a pg_dump custom-format archive of the database to `file`."""
        backup_database(self.url(), file)

    def restore(self, file: Path) -> None:
        """Replace the database's objects with those of a pg_dump archive, in one transaction."""
        restore_database(self.url(), file)

    def destroy(self) -> None:
        """Stop the cluster and delete it with its state file (tests and resets)."""
        self.down()
        shutil.rmtree(self.cluster_dir, ignore_errors=True)
        (self.home / _STATE_FILE).unlink(missing_ok=True)

    def _check_packages(self) -> None:
        initdb = self.bindir / "initdb"
        if not initdb.is_file():
            raise EnvironmentProblem(
                f"PostgreSQL {PG_MAJOR} server not found (no {initdb}): apt-get install postgresql-{PG_MAJOR}"
            )
        control = _EXTENSION_DIR / "postgis.control"
        if not control.is_file():
            raise EnvironmentProblem(
                f"PostGIS for PostgreSQL {PG_MAJOR} not found (no {control}): "
                f"apt-get install postgresql-{PG_MAJOR}-postgis-3"
            )
        if self._as_root:
            try:
                pwd.getpwnam("postgres")
            except KeyError:
                raise EnvironmentProblem(
                    f"no `postgres` OS user to run the cluster as: apt-get install postgresql-{PG_MAJOR}"
                ) from None

    @contextlib.contextmanager
    def _lock(self) -> Iterator[None]:
        # Parallel test workers may all call `up` on one home; only one may initdb or start.
        self.home.mkdir(parents=True, exist_ok=True)
        with open(self.home / ".embedded.lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            yield

    def _load_state(self) -> dict[str, object]:
        try:
            state = json.loads((self.home / _STATE_FILE).read_text())
        except (OSError, ValueError):
            return {}
        return state if isinstance(state, dict) else {}

    def _save_state(self, port: int) -> None:
        state = {"port": port, "cluster_dir": str(self.cluster_dir)}
        (self.home / _STATE_FILE).write_text(json.dumps(state, indent=2) + "\n")

    def _initialised(self) -> bool:
        # As root the cluster lies outside `home`; without the state file it belongs to a deleted home.
        try:
            owned = not self._as_root or (self.home / _STATE_FILE).is_file()
            return owned and (self.data_dir / "PG_VERSION").is_file()
        except OSError:
            return False

    def _running_port(self) -> int | None:
        try:
            lines = (self.data_dir / "postmaster.pid").read_text().splitlines()
            pid, port = int(lines[0]), int(lines[3])
            # A postmaster works inside its data directory; this tells ours from a recycled pid.
            ours = Path(os.readlink(f"/proc/{pid}/cwd")) == self.data_dir.resolve()
        except (OSError, ValueError, IndexError):
            return None
        return port if ours else None

    def _create(self) -> None:
        if self._as_root:
            # Deleting `home` resets the cluster as it does for non-root, where the data lies inside it.
            shutil.rmtree(self.cluster_dir, ignore_errors=True)
            entry = pwd.getpwnam("postgres")
            for folder in (_ROOT_CLUSTERS, self.cluster_dir):
                folder.mkdir(mode=0o700, parents=True, exist_ok=True)
                os.chown(folder, entry.pw_uid, entry.pw_gid)
        else:
            self.cluster_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        shutil.rmtree(self.data_dir, ignore_errors=True)
        result = self._pg(
            "initdb", "-D", str(self.data_dir), "-U", "postgres", "-E", "UTF8", "--locale=C.UTF-8",
            "--auth=trust", "--no-instructions",
        )  # fmt: skip
        if result.returncode != 0:
            raise EnvironmentProblem(f"initdb failed in {self.data_dir}: {_line(result.stderr, -1)}")
        with open(self.data_dir / "postgresql.conf", "a") as conf:
            conf.write(_SERVER_SETTINGS)
        (self.data_dir / "pg_hba.conf").write_text(_PG_HBA)

    def _stop(self) -> None:
        result = self._pg("pg_ctl", "stop", "-D", str(self.data_dir), "-m", "fast", "-w", "-t", "60")
        if result.returncode != 0 and self._running_port() is not None:
            raise EnvironmentProblem(f"PostgreSQL did not stop: {_line(result.stderr, -1)}")

    def _start(self, port: int) -> int:
        # A postmaster killed with -9 leaves its pid file; ours is verified dead, so drop it now
        # rather than let a recycled pid (after a reboot) make the server refuse to start.
        (self.data_dir / "postmaster.pid").unlink(missing_ok=True)
        for _ in range(5):
            self._save_state(port)
            result = self._pg(
                "pg_ctl", "start", "-D", str(self.data_dir), "-l", str(self.log_file),
                "-w", "-t", "60", "-o", f"-p {port}",
            )  # fmt: skip
            if result.returncode == 0:
                return port
            tail = self._log_tail()
            if "Address already in use" in tail:  # taken between our probe and the server's bind
                port = _choose_port(None)
            elif "is still in use" in tail:  # children of a server killed with -9 hold its memory
                time.sleep(1)
            else:
                break
        raise EnvironmentProblem(
            f"PostgreSQL did not start on port {port}; log {self.log_file} ends with:\n{self._log_tail()}"
        )

    def _prepare_database(self, port: int) -> None:
        try:
            with _connect(port, "postgres") as conn, conn.cursor() as cur:
                conn.autocommit = True
                cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (self.database,))
                if cur.fetchone() is None:
                    cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.database)))
        except psycopg2.Error as exc:
            raise EnvironmentProblem(
                f"could not create database {self.database!r}: {_line(exc, 0)}"
            ) from None
        _create_extensions(_url(port, self.database), _EXTENSIONS)

    def _pg(self, tool: str, *args: str) -> subprocess.CompletedProcess[str]:
        command = [str(self.bindir / tool), *args]
        if self._as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        # The postgres user may not be able to enter the caller's working directory.
        return _run(command, cwd=self.cluster_dir)

    def _log_tail(self, lines: int = 5) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError as exc:
            return f"(cannot read the log: {exc.strerror})"


def resolve_database_url(settings: DatabaseSettings) -> str:
    """SQLAlchemy URL of GRIDS_DATABASE_URL when set, else of the running embedded cluster."""
    if settings.database_url:
        scheme, rest = settings.database_url.split("://", 1)
        return f"postgresql+psycopg2://{rest}" if "+" not in scheme else settings.database_url
    return EmbeddedPostgres(settings.home, settings.database_name).url()


def backup_database(url: str, file: Path) -> None:
    """pg_dump the database at `url` to `file` (custom format), replacing it only on success."""
    file = Path(file)
    if not file.parent.is_dir():
        raise InvalidInput(f"cannot write {file}: folder {file.parent} does not exist")
    partial = file.with_name(file.name + ".partial")
    result = _client("pg_dump", url, "--format=custom", f"--file={partial}")
    if result.returncode != 0:
        partial.unlink(missing_ok=True)
        raise EnvironmentProblem(f"pg_dump failed: {_line(result.stderr, -1)}")
    partial.replace(file)


def restore_database(url: str, file: Path) -> None:
    """pg_restore `file` into the database at `url` with --clean --if-exists, in one transaction."""
    file = Path(file)
    if not file.is_file():
        raise InvalidInput(f"backup file not found: {file}")
    listing = _client("pg_restore", None, "--list", str(file))
    if listing.returncode != 0:
        raise InvalidInput(f"{file} is not a pg_dump custom-format backup: {_line(listing.stderr, -1)}")
    # --clean would drop and recreate the extensions, which fails when objects outside the backup use
    # PostGIS types and reloads spatial_ref_sys for nothing; extensions are ensured separately instead.
    # Entries read "id; oid oid TYPE schema name ...", e.g. "2; 3079 16385 EXTENSION - postgis".
    entries = [(line, [*line.split(), *[""] * 6]) for line in listing.stdout.splitlines()]
    extensions = [fields[5] for _, fields in entries if fields[3] == "EXTENSION"]
    keep = [line for line, f in entries if f[3] != "EXTENSION" and f[3:6:2] != ["COMMENT", "EXTENSION"]]
    if extensions:
        _create_extensions(url, extensions)
    with tempfile.NamedTemporaryFile("w", suffix=".list") as toc:
        toc.write("\n".join(keep) + "\n")
        toc.flush()
        result = _client(
            "pg_restore", url, "--clean", "--if-exists", "--single-transaction", "--no-owner",
            f"--use-list={toc.name}", str(file),
        )  # fmt: skip
    if result.returncode != 0:
        raise InvalidInput(f"restore of {file} failed and was rolled back: {_line(result.stderr, -1)}")


def _create_extensions(url: str, extensions: Sequence[str]) -> None:
    try:
        with contextlib.closing(psycopg2.connect(_libpq_dsn(url))) as conn, conn, conn.cursor() as cur:
            for extension in extensions:
                cur.execute(sql.SQL("CREATE EXTENSION IF NOT EXISTS {}").format(sql.Identifier(extension)))
    except psycopg2.Error as exc:
        raise EnvironmentProblem(
            f"could not create extensions {', '.join(extensions)}: {_line(exc, 0)}"
        ) from None


def _client(tool: str, url: str | None, *args: str) -> subprocess.CompletedProcess[str]:
    """Run a client tool as the current user, which can read and write the user's files."""
    path = _bindir() / tool
    found = str(path) if path.is_file() else shutil.which(tool)
    if found is None:
        raise EnvironmentProblem(f"{tool} not found (no {path}): apt-get install postgresql-client-15")
    env = dict(os.environ)
    command = [found, *args]
    if url is not None:
        # The password travels in the environment, not in argv where `ps` would show it.
        params = parse_dsn(_libpq_dsn(url))
        if "password" in params:
            env["PGPASSWORD"] = params.pop("password")
        command.append(f"--dbname={make_dsn(**params)}")
    return _run(command, env=env)


def _run(command: list[str], **options: Any) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(command, capture_output=True, text=True, check=False, **options)
    except OSError as exc:
        raise EnvironmentProblem(f"cannot run {command[0]}: {exc.strerror}") from None


def _bindir() -> Path:
    return Path(os.environ.get("GRIDS_PG_BINDIR") or f"/usr/lib/postgresql/{PG_MAJOR}/bin")


def _libpq_dsn(url: str) -> str:
    return "postgresql://" + url.split("://", 1)[1]


def _url(port: int, database: str) -> str:
    return f"postgresql+psycopg2://postgres@127.0.0.1:{port}/{database}"


def _connect(port: int, database: str) -> contextlib.closing[Any]:
    conn = psycopg2.connect(host="127.0.0.1", port=port, user="postgres", dbname=database, connect_timeout=10)
    return contextlib.closing(conn)


def _choose_port(remembered: object) -> int:
    # New ports lie below Linux's ephemeral range (32768+): outgoing connections will not take them.
    candidates = [remembered] if isinstance(remembered, int) else []
    for port in candidates + random.sample(range(20000, 32768), 100):
        with socket.socket() as probe, contextlib.suppress(OSError):
            # The server sets SO_REUSEADDR too, so a port held only by TIME_WAIT counts as free.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(("127.0.0.1", port))
            return port
    raise EnvironmentProblem("no free TCP port on 127.0.0.1 between 20000 and 32767")


def _line(text: object, index: int) -> str:
    lines = [line.strip() for line in str(text).splitlines() if line.strip()]
    return lines[index] if lines else "(no message)"
