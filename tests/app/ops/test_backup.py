"""Backup while candidates keep saving, restore into another database, nothing acknowledged lost."""

from __future__ import annotations

import os
import sqlite3
import stat
import threading
import time
from contextlib import closing

import pytest
import typer
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool
from typer.testing import CliRunner

from app.ops import backup as backups
from app.ops.ops_cli import SCHEMA_BEHIND
from app.ops.ops_cli import backup as backup_command
from app.ops.ops_cli import restore as restore_command
from tests.app.ops.conftest import (
    Save,
    configured_database,
    save,
    start_attempts,
    stored_answers,
)

BACKEND = os.environ.get("KAM_TEST_DATABASE", "sqlite")
runner = CliRunner()
cli = typer.Typer()
cli.command("backup")(backup_command)
cli.command("restore")(restore_command)


@pytest.fixture(autouse=True)
def _postgres_tools():
    if BACKEND == "postgresql":
        for tool in ("pg_dump", "pg_restore"):
            try:
                backups.pg_tool(tool, server=0)
            except backups.BackupError as exc:
                pytest.skip(f"PostgreSQL client tools are missing: {exc}")


class Writer(threading.Thread):
    """A candidate who keeps saving answers (through the service, committed) until told to stop."""

    def __init__(self, jobs: list[Save]) -> None:
        super().__init__(daemon=True)
        self.jobs = jobs
        self.acknowledged: list[Save] = []
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        n = 0
        try:
            while not self.stop.is_set():
                job = self.jobs[n % len(self.jobs)]  # after one pass: the same values again
                save(job)
                with self.lock:
                    self.acknowledged.append(job)
                n += 1
        except BaseException as exc:
            self.error = exc

    def snapshot(self) -> list[Save]:
        with self.lock:
            return list(self.acknowledged)

    def wait_for(self, count: int, timeout: float = 15) -> None:
        deadline = time.monotonic() + timeout
        while len(self.snapshot()) < count and self.error is None:
            assert time.monotonic() < deadline, "the writer saved too little"
            time.sleep(0.01)


def test_online_backup_while_saving_then_restore_keeps_every_acknowledged_answer(
    migrated, databases, tmp_path
):
    plans = start_attempts(3)
    writer = Writer([job for plan in plans for job in plan])
    writer.start()
    try:
        writer.wait_for(15)
        before = writer.snapshot()  # committed before the backup started
        result = backups.backup(migrated, to=tmp_path / "kam.backup")
        writer.wait_for(len(writer.snapshot()) + 5)  # and the writer was never held up
    finally:
        writer.stop.set()
        writer.join(timeout=30)
    assert writer.error is None, writer.error
    assert result.size_bytes > 0
    assert stat.S_IMODE(result.path.stat().st_mode) == 0o600
    assert not list(tmp_path.glob("*.partial"))

    target = databases.create()
    summary = backups.restore(target, source=result.path)
    assert summary.up_to_date
    restored = stored_answers(target)
    expected = {(job.attempt_id, job.item_id): job.value for job in before}
    assert {key: restored.get(key) for key in expected} == expected
    assert summary.counts["attempt"] == 3
    assert summary.counts["answer"] == len(restored) >= len(expected)
    # Whatever else made it into the snapshot is an answer that was really given.
    given = {(job.attempt_id, job.item_id): job.value for job in writer.jobs}
    assert all(given[key] == value for key, value in restored.items())


def test_cli_backup_refuses_to_overwrite_and_restore_needs_yes(migrated, databases, tmp_path):
    [plan] = start_attempts(1)
    for job in plan[:4]:
        save(job)
    to = tmp_path / "nightly.backup"
    first = runner.invoke(cli, ["backup", "--to", str(to)])
    assert first.exit_code == 0, first.output
    assert "written to" in first.output
    again = runner.invoke(cli, ["backup", "--to", str(to)])
    assert again.exit_code == 1
    assert "already exists" in again.output
    assert runner.invoke(cli, ["backup", "--to", str(to), "--force"]).exit_code == 0

    target = databases.create()
    with configured_database(target):
        unconfirmed = runner.invoke(cli, ["restore", "--from", str(to)])
        assert unconfirmed.exit_code == 1
        assert "--yes" in unconfirmed.output
        done = runner.invoke(cli, ["restore", "--from", str(to), "--yes"])
    assert done.exit_code == 0, done.output
    assert "attempts" in done.output and "answers" in done.output
    assert "at head" in done.output
    assert stored_answers(target) == {(j.attempt_id, j.item_id): j.value for j in plan[:4]}


def test_restore_of_an_older_schema_says_to_migrate(migrated, databases, tmp_path):
    engine = create_engine(migrated, poolclass=NullPool)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0000_older'"))
    engine.dispose()
    to = tmp_path / "old.backup"
    backups.backup(migrated, to=to)
    with configured_database(databases.create()):
        result = runner.invoke(cli, ["restore", "--from", str(to), "--yes"])
    assert result.exit_code == SCHEMA_BEHIND, result.output
    assert "kam migrate" in result.output


def test_restore_refuses_a_file_that_is_not_a_backup(migrated, databases, tmp_path):
    junk = tmp_path / "notes.txt"
    junk.write_text("not a backup\n")
    with pytest.raises(backups.BackupError, match="not a"):
        backups.restore(databases.create(), source=junk)


@pytest.mark.skipif(BACKEND != "sqlite", reason="the in-use check is SQLite's")
def test_sqlite_restore_refuses_a_database_another_process_has_open(migrated, databases,
                                                                     tmp_path):
    to = tmp_path / "kam.backup"
    backups.backup(migrated, to=to)
    target = databases.create()
    path = make_url(target).database
    with closing(sqlite3.connect(path)) as server:  # stands for a running `kam serve`
        server.execute("PRAGMA journal_mode=WAL")
        server.execute("CREATE TABLE IF NOT EXISTS probe (x)")
        with pytest.raises(backups.BackupError, match="in use"):
            backups.restore(target, source=to)
        summary = backups.restore(target, source=to, force=True)
    assert summary.up_to_date


def test_postgres_connection_keeps_the_password_off_the_command_line():
    url = make_url("postgresql+psycopg://kam:s3cr%40t@db.internal:6432/kam?sslmode=require")
    conninfo, env = backups.libpq_connection(url)
    assert "s3cr" not in conninfo
    assert env["PGPASSWORD"] == "s3cr@t"
    for part in ("host=db.internal", "port=6432", "user=kam", "dbname=kam", "sslmode=require"):
        assert part in conninfo


def test_missing_postgres_tools_are_a_clear_error(tmp_path):
    with pytest.raises(backups.BackupError, match=r"pg_dump was not found.*--pg-bin"):
        backups.pg_tool("pg_dump", server=15, pg_bin=tmp_path)


def test_backup_refuses_a_missing_folder(migrated, tmp_path):
    with pytest.raises(backups.BackupError, match="does not exist"):
        backups.backup(migrated, to=tmp_path / "nope" / "kam.backup")
