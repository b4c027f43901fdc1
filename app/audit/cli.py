"""``kam audit verify`` and ``kam audit prune``: typer commands, registered by ``app.cli``."""

from __future__ import annotations

from typing import Annotated

import typer

audit_app = typer.Typer(help="The audit log (a hash chain per organization).",
                        no_args_is_help=True)


@audit_app.command("verify")
def verify(
    org: Annotated[str | None, typer.Option(help="Only this organization (default: all)")] = None,
) -> None:
    """Check the hash chain: report the first entry that was changed, inserted or deleted.

    Exit code 0 when every chain is intact, 1 when one is broken. Note each chain's head
    hash somewhere else: a chain rewritten from its start can only be caught against it.
    """
    from app.audit import service as audit_service
    from app.core.db import session_scope
    from app.organizations import service as organization_service

    broken = False
    with session_scope(read_only=True) as session:
        if org is not None:
            organization = organization_service.get_by_name(session, name=org)
            if organization is None:
                typer.echo(f"error: no organization named {org!r}", err=True)
                raise typer.Exit(1)
            keys: list[int | None] = [organization.id]
        else:
            keys = audit_service.chains(session)
            if not keys:
                typer.echo("no audit entries yet: nothing to check")
        for key in keys:
            verdict = audit_service.verify(session, organization_id=key)
            label = f"organization {key}" if key is not None else "no organization"
            if verdict.ok:
                typer.echo(
                    f"{label}: intact, {verdict.checked} entries ({verdict.pruned} pruned by"
                    f" retention), head {verdict.head_id} {verdict.head_hash}"
                )
            else:
                broken = True
                typer.echo(f"{label}: BROKEN at entry {verdict.entry_id} ({verdict.problem}):"
                           f" {verdict.message}")
    if broken:
        raise typer.Exit(1)
