"""``kam backup`` and ``kam restore``: typer command functions, registered by ``app.cli``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

# Exit codes: 1 the operation failed, 2 bad configuration, 3 restored but the schema is not
# this release's head (run `kam migrate` before serving).
SCHEMA_BEHIND = 3

PgBin = Annotated[
    Path | None,
    typer.Option(
        "--pg-bin",
        help="PostgreSQL: folder holding pg_dump/pg_restore "
        "(default: /usr/lib/postgresql/<server major>/bin, then the PATH)",
    ),
]


def _database_url() -> str:
    """The configured database URL, or a message naming the bad setting and exit code 2."""
    from app.core.config import get_settings, settings_errors

    try:
        return get_settings().database_url
    except ValidationError as exc:
        for line in settings_errors(exc):
            typer.echo(line, err=True)
        raise typer.Exit(2) from None


def _describe(database_url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(database_url).render_as_string(hide_password=True)


def backup(
    to: Annotated[Path, typer.Option("--to", help="The backup file to write", dir_okay=False)],
    force: Annotated[bool, typer.Option("--force", help="Overwrite --to if it exists")] = False,
    pg_bin: PgBin = None,
) -> None:
    """Back up the database into one file while the service keeps running."""
    from app.ops.backup import BackupError
    from app.ops.backup import backup as run_backup

    database_url = _database_url()
    try:
        result = run_backup(database_url, to=to, force=force, pg_bin=pg_bin)
    except BackupError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(
        f"backup of {_describe(database_url)} written to {result.path} "
        f"({result.size_bytes:,} bytes, {result.seconds:.1f} s)"
    )


def restore(
    source: Annotated[
        Path, typer.Option("--from", help="The backup file to restore", exists=True, dir_okay=False)
    ],
    yes: Annotated[
        bool,
        typer.Option("--yes", help="Confirm: every row of the configured database is replaced"),
    ] = False,
    force: Annotated[
        bool,
        typer.Option(
            "--force", help="SQLite: restore even though another process has the database open"
        ),
    ] = False,
    pg_bin: PgBin = None,
) -> None:
    """Replace the configured database's contents with a backup (stop the service first)."""
    from app.ops.backup import BackupError
    from app.ops.backup import restore as run_restore

    database_url = _database_url()
    target = _describe(database_url)
    if not yes:
        typer.echo(
            f"error: restoring replaces every row of {target}; stop `kam serve` and "
            "`kam worker`, then run again with --yes",
            err=True,
        )
        raise typer.Exit(1)
    try:
        summary = run_restore(database_url, source=source, force=force, pg_bin=pg_bin)
    except BackupError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"restored {source} into {target}")
    for table, count in summary.counts.items():
        typer.echo(f"  {table + 's':<14} {count:>8,}")
    if not summary.up_to_date:
        typer.echo(
            f"warning: the schema is at revision {summary.revision}, not this release's "
            "head; run `kam migrate` before `kam serve`",
            err=True,
        )
        raise typer.Exit(SCHEMA_BEHIND)
    typer.echo(f"  schema         at head ({summary.revision})")
