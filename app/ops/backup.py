"""Backup and restore of the database: SQLite's online backup API, PostgreSQL's pg_dump.

A backup is one file, written next to its destination under a temporary name and renamed into
place only once it is complete and checked, with mode 0600 (it holds personal data).

- **SQLite**: ``sqlite3.Connection.backup`` copies every page in one step, inside one read
  transaction: a consistent snapshot, taken while candidates keep saving (in WAL mode readers
  never block writers). The live file is never copied byte by byte.
- **PostgreSQL**: ``pg_dump --format=custom`` (a consistent snapshot too) and
  ``pg_restore --clean --if-exists --no-owner --single-transaction``. The password reaches
  libpq through ``PGPASSWORD`` in the child's environment, never its command line.

Restore replaces the configured database's contents; the service must be stopped first.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import create_engine, func, inspect, select, table, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import NullPool

SQLITE_TIMEOUT_S = 30
COUNTED_TABLES = ("organization", "candidate", "attempt", "answer")
DEBIAN_PG_BIN = "/usr/lib/postgresql/{major}/bin"


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why and what to do."""


@dataclass(frozen=True)
class BackupResult:
    """A finished backup."""

    path: Path
    backend: str
    size_bytes: int
    seconds: float


@dataclass(frozen=True)
class DatabaseSummary:
    """What a database holds: its schema revision and a few row counts."""

    revision: str | None
    up_to_date: bool
    counts: dict[str, int] = field(default_factory=dict)


# --- entry points ------------------------------------------------------------------------


def backup(
    database_url: str, *, to: Path, force: bool = False, pg_bin: Path | None = None
) -> BackupResult:
    """Back up the database at ``database_url`` into the file ``to`` while it stays in use."""
    url = make_url(database_url)
    to = Path(to)
    if to.exists() and not force:
        raise BackupError(f"{to} already exists; choose another file or pass --force")
    if to.is_dir():
        raise BackupError(f"{to} is a folder; name the backup file")
    if not to.parent.is_dir():
        raise BackupError(f"folder {to.parent} does not exist")
    started = time.monotonic()
    with _partial_file(to) as partial:
        if _is_sqlite(url):
            _sqlite_backup(_sqlite_path(url), partial)
        else:
            _pg_dump(url, partial, pg_bin=pg_bin)
        if to.exists() and not force:
            raise BackupError(f"{to} appeared while the backup ran; nothing was overwritten")
        os.replace(partial, to)
    return BackupResult(
        path=to,
        backend=url.get_backend_name(),
        size_bytes=to.stat().st_size,
        seconds=time.monotonic() - started,
    )


def restore(
    database_url: str, *, source: Path, force: bool = False, pg_bin: Path | None = None
) -> DatabaseSummary:
    """Replace the contents of the database at ``database_url`` with the backup ``source``.

    Stop every server and worker first. On SQLite a database that is still open elsewhere is
    refused (``force`` restores anyway, through the backup API, which other connections see
    consistently). Returns the restored database's summary.
    """
    url = make_url(database_url)
    source = Path(source)
    if not source.is_file():
        raise BackupError(f"no backup file at {source}")
    if _is_sqlite(url):
        _sqlite_restore(source, _sqlite_path(url), force=force)
    else:
        _pg_restore(url, source, pg_bin=pg_bin)
    return summarize(database_url)


def summarize(database_url: str) -> DatabaseSummary:
    """The schema revision (compared with this release's head) and row counts."""
    from alembic.runtime.migration import MigrationContext

    from app.core.migrations import heads

    engine = create_engine(database_url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            current = set(MigrationContext.configure(connection).get_current_heads())
            tables = set(inspect(connection).get_table_names())
            counts = {
                name: int(connection.execute(select(func.count()).select_from(table(name)))
                          .scalar_one())
                for name in COUNTED_TABLES
                if name in tables
            }
            connection.rollback()
    finally:
        engine.dispose()
    return DatabaseSummary(
        revision=",".join(sorted(current)) or None,
        up_to_date=current == set(heads()),
        counts=counts,
    )


# --- files -------------------------------------------------------------------------------


@contextmanager
def _partial_file(to: Path) -> Iterator[Path]:
    """An empty 0600 file beside ``to``; removed unless the caller renamed it into place."""
    partial = to.with_name(f".{to.name}.{uuid.uuid4().hex[:8]}.partial")
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    try:
        yield partial
    finally:
        partial.unlink(missing_ok=True)


def _fsync(path: Path) -> None:
    with path.open("rb") as handle:
        os.fsync(handle.fileno())


# --- SQLite ------------------------------------------------------------------------------


def _is_sqlite(url: URL) -> bool:
    return url.get_backend_name() == "sqlite"


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("the SQLite database is in memory; there is nothing to back up")
    return Path(url.database)


def _sqlite_backup(database: Path, target: Path) -> None:
    if not database.is_file():
        raise BackupError(f"no SQLite database at {database}")
    with (
        closing(sqlite3.connect(database, timeout=SQLITE_TIMEOUT_S)) as live,
        closing(sqlite3.connect(target)) as copy,
    ):
        # pages=-1: every page in one step, so the copy is one snapshot. Stepwise copying
        # would restart on every write by another connection and might never finish.
        live.backup(copy, pages=-1)
        # A self-contained file: no -wal beside it, whatever mode the live database uses.
        copy.execute("PRAGMA journal_mode=DELETE")
        _quick_check(copy, what=f"the backup of {database}")
    _fsync(target)


def _quick_check(connection: sqlite3.Connection, *, what: str) -> None:
    try:
        verdict = connection.execute("PRAGMA quick_check").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{what} is not a SQLite database ({exc})") from None
    if verdict != "ok":
        raise BackupError(f"{what} failed SQLite's integrity check: {verdict}")


def _sqlite_restore(source: Path, database: Path, *, force: bool) -> None:
    with closing(sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)) as backup_db:
        _quick_check(backup_db, what=str(source))
        tables = {
            row[0]
            for row in backup_db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
        if "alembic_version" not in tables:
            raise BackupError(f"{source} is not a KAM Assess backup (no alembic_version table)")
        database.parent.mkdir(parents=True, exist_ok=True)
        with closing(sqlite3.connect(database, timeout=SQLITE_TIMEOUT_S)) as live:
            # Leaving WAL mode needs the only connection to the file: a running server or
            # worker makes this fail at once, which is how "still in use" is detected.
            try:
                live.execute("PRAGMA journal_mode=DELETE").fetchone()
            except sqlite3.OperationalError:
                if not force:
                    raise BackupError(
                        f"{database} is in use (another process has it open): stop `kam serve` "
                        "and `kam worker` first, or pass --force to restore under them"
                    ) from None
            backup_db.backup(live, pages=-1)
            live.execute("PRAGMA journal_mode=WAL").fetchone()
            _quick_check(live, what=f"the restored {database}")


# --- PostgreSQL --------------------------------------------------------------------------

_LIBPQ_FROM_URL = {"host": "host", "port": "port", "username": "user", "database": "dbname"}


def libpq_connection(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq connection string without the password, and the environment that carries it.

    The connection string may be seen in the process list; the password may not.
    """
    from psycopg.conninfo import make_conninfo

    params: dict[str, str] = {}
    for attribute, keyword in _LIBPQ_FROM_URL.items():
        value = getattr(url, attribute)
        if value not in (None, ""):
            params[keyword] = str(value)
    for key, value in url.query.items():
        params[key] = value if isinstance(value, str) else value[-1]
    if "password" in params:
        raise BackupError("put the password in the URL's user info, not in its query string")
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return make_conninfo(**params), env


def _major(version_output: str) -> int:
    match = re.search(r"\)\s*(\d+)", version_output) or re.search(r"(\d+)\.", version_output)
    if match is None:
        raise BackupError(f"cannot read the version from {version_output.strip()!r}")
    return int(match.group(1))


def server_major(url: URL) -> int:
    """The PostgreSQL server's major version."""
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            number = int(connection.execute(text("SHOW server_version_num")).scalar_one())
    except Exception as exc:
        raise BackupError(f"cannot connect to the database: {type(exc).__name__}: {exc}") from None
    finally:
        engine.dispose()
    return number // 10000


def pg_tool(name: str, *, server: int, pg_bin: Path | None = None) -> str:
    """The path of ``name`` (pg_dump, pg_restore) of at least the server's major version.

    Looks in ``pg_bin`` when given, else Debian's ``/usr/lib/postgresql/<major>/bin``, else
    the PATH.
    """
    if pg_bin is not None:
        candidates = [Path(pg_bin) / name]
    else:
        candidates = [Path(DEBIAN_PG_BIN.format(major=server)) / name]
        on_path = shutil.which(name)
        if on_path:
            candidates.append(Path(on_path))
    found = [c for c in candidates if c.is_file() and os.access(c, os.X_OK)]
    if not found:
        raise BackupError(
            f"{name} was not found (looked in {', '.join(str(c.parent) for c in candidates)}); "
            f"install the PostgreSQL {server} client tools (Debian: apt-get install "
            f"postgresql-client-{server}) or pass --pg-bin DIR"
        )
    tool = str(found[0])
    version = subprocess.run([tool, "--version"], capture_output=True, text=True, check=False)
    major = _major(version.stdout)
    if major < server:
        raise BackupError(
            f"{tool} is version {major}, older than the PostgreSQL {server} server; install "
            f"postgresql-client-{server} or pass --pg-bin with the version {server} tools"
        )
    return tool


def _run(command: list[str], env: dict[str, str], *, what: str) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip()
        raise BackupError(f"{what} failed (exit {result.returncode}): {detail}")


def _pg_dump(url: URL, target: Path, *, pg_bin: Path | None) -> None:
    tool = pg_tool("pg_dump", server=server_major(url), pg_bin=pg_bin)
    conninfo, env = libpq_connection(url)
    _run(
        [tool, "--format=custom", "--no-password", f"--file={target}", f"--dbname={conninfo}"],
        env,
        what="pg_dump",
    )
    _fsync(target)


def _pg_restore(url: URL, source: Path, *, pg_bin: Path | None) -> None:
    tool = pg_tool("pg_restore", server=server_major(url), pg_bin=pg_bin)
    listing = subprocess.run(
        [tool, "--list", str(source)], capture_output=True, text=True, check=False
    )
    if listing.returncode != 0:
        raise BackupError(
            f"{source} is not a pg_dump custom-format archive: {listing.stderr.strip()}"
        )
    if "alembic_version" not in listing.stdout:
        raise BackupError(f"{source} is not a KAM Assess backup (no alembic_version table)")
    conninfo, env = libpq_connection(url)
    _run(
        [
            tool,
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            "--exit-on-error",
            "--no-password",
            f"--dbname={conninfo}",
            str(source),
        ],
        env,
        what="pg_restore",
    )
