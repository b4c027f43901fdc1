"""``kam norms``: rebuild and inspect norm tables from the command line (or cron)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from sqlmodel import Session

norms_app = typer.Typer(
    help="Norm tables (per organization and questionnaire version).", no_args_is_help=True
)


def _organization_ids(session: Session, org: str | None) -> list[int]:
    from app.core.db import pk
    from app.norms import service as norm_service
    from app.organizations import service as organization_service

    if org is None:
        return norm_service.organizations_with_attempts(session)
    organization = organization_service.get_by_name(session, name=org)
    if organization is None:
        typer.echo(f"error: no organization {org!r}", err=True)
        raise typer.Exit(1)
    return [pk(organization)]


@norms_app.command("rebuild")
def rebuild(
    org: Annotated[str | None, typer.Option(help="Organization name (default: all)")] = None,
    due: Annotated[
        bool, typer.Option("--due", help="Only tables due by the 10 % growth rule (for cron)")
    ] = False,
    replace_imported: Annotated[
        bool, typer.Option(help="Also replace tables that were imported")
    ] = False,
) -> None:
    """Rebuild norm tables from completed attempts and rescore the positions."""
    from app.core.db import session_scope
    from app.norms import service as norm_service
    from app.scores import service as score_service

    with session_scope() as session:
        for organization_id in _organization_ids(session, org):
            if due:
                rows = norm_service.rebuild_due(session, organization_id=organization_id)
            else:
                rows = norm_service.rebuild(
                    session, organization_id=organization_id, replace_imported=replace_imported
                )
            score_service.rescore_after_norms(session, rows=rows)
            for row in rows:
                typer.echo(
                    f"organization {organization_id}: {row.questionnaire_key} "
                    f"v{row.questionnaire_version} rebuilt (n = {row.n})"
                )


@norms_app.command("status")
def status(
    org: Annotated[str, typer.Option(help="Organization name")],
) -> None:
    """Print the norm status of every questionnaire version."""
    from app.core.db import session_scope
    from app.norms import service as norm_service

    with session_scope(read_only=True) as session:
        for organization_id in _organization_ids(session, org):
            for entry in norm_service.status(session, organization_id=organization_id):
                typer.echo(
                    f"{entry['questionnaire_key']} v{entry['questionnaire_version']}: "
                    f"{entry['message']} ({entry['completed_attempts']} completed)"
                )
