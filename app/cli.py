"""The ``kam`` command line."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from pydantic import ValidationError

if TYPE_CHECKING:
    from app.core.config import Settings

app = typer.Typer(help="KAM Assess: assessments for hiring Key Account Managers.",
                  no_args_is_help=True)
orgs_app = typer.Typer(help="Organizations (tenants).", no_args_is_help=True)
users_app = typer.Typer(help="Staff users.", no_args_is_help=True)
app.add_typer(orgs_app, name="orgs")
app.add_typer(users_app, name="users")
questionnaires_app = typer.Typer(help="The questionnaire bank.", no_args_is_help=True)
app.add_typer(questionnaires_app, name="questionnaires")

DEMO_ORG = "Demo Srl"
DEMO_USERS = (
    ("admin", "demo.admin@example.com", "Alessandra Demo"),
    ("hr", "demo.hr@example.com", "Hugo Recruiter"),
    ("manager", "demo.manager@example.com", "Marco Manager"),
)
DEMO_PASSWORD = "demo-password"


def _settings() -> Settings:
    """The settings, or a clear message naming the bad setting and exit code 2."""
    from app.core.config import get_settings, settings_errors

    try:
        return get_settings()
    except ValidationError as exc:
        for line in settings_errors(exc):
            typer.echo(line, err=True)
        raise typer.Exit(2) from None


def _migrate() -> None:
    """Upgrade the schema and publish the shipped questionnaire bank (both idempotent)."""
    from app.core.migrations import upgrade

    _settings()
    upgrade()
    _publish_bank(None)


def _publish_bank(directory: Path | None) -> list[Any]:
    """Publish the bank; a refused edit or an invalid file ends with exit code 1."""
    from app.bank import service as bank_service
    from app.core.db import session_scope
    from app.core.errors import DomainError
    from questionnaires.loader import BANK_DIR
    from questionnaires.problems import InvalidQuestionnaireError

    try:
        with session_scope() as session:
            return bank_service.publish(session, directory=directory or BANK_DIR)
    except DomainError as exc:
        typer.echo(f"error: {_detail(exc)}", err=True)
    except InvalidQuestionnaireError as exc:
        typer.echo(f"error: {exc}", err=True)
    raise typer.Exit(1)


@app.command()
def migrate() -> None:
    """Bring the database schema up to date and publish the shipped questionnaire bank."""
    _migrate()
    typer.echo("database schema is up to date; questionnaire bank published")


@questionnaires_app.command("validate")
def questionnaires_validate(
    paths: Annotated[list[Path] | None, typer.Argument(help="Files or folders (default: bank)")]
    = None,
    strict: Annotated[bool, typer.Option(
        help="Also fail on v1 files breaking the delivery rules of bank v2 (legacy problems)"
    )] = False,
) -> None:
    """Check questionnaire files (and, for the shipped bank, the interview bank); each problem
    names the file, the item and the rule; the time rule's numbers are printed per section."""
    from questionnaires.loader import BANK_DIR, collect, questionnaire_files
    from questionnaires.validate import exit_code, format_report

    targets = paths or [BANK_DIR]
    loaded, problems = collect(targets)
    typer.echo(format_report(problems, files=len(questionnaire_files(targets)), loaded=loaded))
    code = exit_code(problems, strict=strict)
    if not paths:  # the shipped bank: its interview questions too
        from questionnaires.interview_bank import INTERVIEW_DIR, collect_interview_bank

        _bank, interview_problems = collect_interview_bank(INTERVIEW_DIR)
        files = len(list(INTERVIEW_DIR.glob("*.yaml")))
        typer.echo("interview bank: " + format_report(interview_problems, files=files))
        code = max(code, 1 if interview_problems else 0)
    raise typer.Exit(code)


@questionnaires_app.command("load")
def questionnaires_load(
    directory: Annotated[Path | None, typer.Argument(help="Folder (default: the shipped bank)")]
    = None,
) -> None:
    """Publish questionnaire versions into the database (idempotent; edits are refused)."""
    _settings()
    for outcome in _publish_bank(directory):
        typer.echo(f"{outcome.key} v{outcome.version}: {outcome.status}")


@app.command()
def init(
    org: Annotated[str, typer.Option(help="Organization name")],
    admin_email: Annotated[str, typer.Option(help="E-mail of the first admin")],
    admin_password: Annotated[str, typer.Option(help="Password of the first admin")],
) -> None:
    """Migrate, create the organization and its admin. Safe to run again."""
    _migrate()
    _provision(org, admin_email, admin_password)


def _provision(org: str, admin_email: str, admin_password: str, *, is_demo: bool = False) -> None:
    from app.core.db import session_scope
    from app.core.errors import DomainError
    from app.setup import provision

    try:
        with session_scope() as session:
            result = provision(
                session,
                org_name=org,
                admin_email=admin_email,
                admin_password=admin_password,
                is_demo=is_demo,
            )
    except (DomainError, ValueError) as exc:
        typer.echo(f"error: {getattr(exc, 'detail', exc)}", err=True)
        raise typer.Exit(1) from None
    state = "created" if result.created_organization else "already exists"
    typer.echo(f"organization {org!r}: {state}")
    state = "created" if result.created_admin else "already exists"
    typer.echo(f"admin {admin_email}: {state}")


@orgs_app.command("create")
def orgs_create(
    org: Annotated[str, typer.Option(help="Organization name")],
    admin_email: Annotated[str, typer.Option(help="E-mail of its first admin")],
    admin_password: Annotated[str, typer.Option(help="Password of its first admin")],
) -> None:
    """Create another organization with its first admin."""
    _settings()
    _provision(org, admin_email, admin_password)


def _detail(exc: Any) -> str:
    """A domain error's message; one line per field for a 422 naming fields."""
    if isinstance(exc.detail, list):
        return "; ".join(str(d.get("message", d)) for d in exc.detail)
    return str(exc.detail)


@users_app.command("create")
def users_create(
    org: Annotated[str, typer.Option(help="Organization name")],
    email: Annotated[str, typer.Option(help="E-mail (the login)")],
    password: Annotated[str, typer.Option(
        help="Password: 12+ characters, not a common or breached one")],
    role: Annotated[str, typer.Option(help="admin, hr or manager")] = "hr",
    name: Annotated[str, typer.Option(help="Full name")] = "",
    language: Annotated[str, typer.Option(help="it or en")] = "en",
) -> None:
    """Add a staff user to an organization."""
    from app.auth import service as auth_service
    from app.auth.models import Role
    from app.core.db import session_scope
    from app.core.errors import DomainError
    from app.organizations import service as organization_service

    _settings()
    if role not in {r.value for r in Role}:
        typer.echo("error: --role must be admin, hr or manager", err=True)
        raise typer.Exit(1)
    try:
        with session_scope() as session:
            organization = organization_service.get_by_name(session, name=org)
            if organization is None:
                typer.echo(f"error: no organization named {org!r}", err=True)
                raise typer.Exit(1)
            auth_service.create_user(
                session,
                organization=organization,
                email=email,
                full_name=name or email,
                role=role,
                password=password,
                language=language,
            )
    except DomainError as exc:
        typer.echo(f"error: {_detail(exc)}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"user {email} ({role}) created in {org!r}")


def _set_active(org: str, email: str, *, active: bool) -> None:
    from app.auth import service as auth_service
    from app.core.db import pk, session_scope
    from app.core.errors import DomainError
    from app.organizations import service as organization_service

    _settings()
    try:
        with session_scope() as session:
            organization = organization_service.get_by_name(session, name=org)
            user = None if organization is None else auth_service.find_by_email(
                session, organization_id=pk(organization), email=email
            )
            if user is None:
                typer.echo(f"error: no user {email} in an organization named {org!r}", err=True)
                raise typer.Exit(1)
            changed = auth_service.set_active(session, user=user, active=active)
            from app.audit import service as audit

            if changed:
                audit.record(session, actor=None, organization_id=user.organization_id,
                             action="user.activate" if active else "user.deactivate",
                             object_type="user", object_id=user.id,
                             details={"email": user.email, "by": "kam users (command line)"})
    except DomainError as exc:
        typer.echo(f"error: {_detail(exc)}", err=True)
        raise typer.Exit(1) from None
    state = "active" if active else "deactivated: its sessions and tokens no longer work"
    typer.echo(f"user {email} in {org!r}: {state}{'' if changed else ' (already)'}")


@users_app.command("deactivate")
def users_deactivate(
    org: Annotated[str, typer.Option(help="Organization name")],
    email: Annotated[str, typer.Option(help="E-mail of the user")],
) -> None:
    """Stop a staff user: sign-ins fail, sessions and API tokens stop working at once."""
    _set_active(org, email, active=False)


@users_app.command("activate")
def users_activate(
    org: Annotated[str, typer.Option(help="Organization name")],
    email: Annotated[str, typer.Option(help="E-mail of the user")],
) -> None:
    """Let a deactivated staff user sign in again."""
    _set_active(org, email, active=True)


@app.command()
def demo(
    with_candidates: Annotated[
        bool, typer.Option(help="Simulate demo candidates (a pipeline and norms)")
    ] = True,
) -> None:
    """Create the demo organization, its users and simulated candidates (safe to run again)."""
    from app.auth import service as auth_service
    from app.auth.models import Role, User
    from app.core.db import pk, session_scope
    from app.demo import populate
    from app.setup import provision

    settings = _settings()
    _migrate()
    with session_scope() as session:
        result = provision(
            session,
            org_name=DEMO_ORG,
            admin_email=DEMO_USERS[0][1],
            admin_password=DEMO_PASSWORD,
            admin_name=DEMO_USERS[0][2],
            is_demo=True,
        )
        users: dict[str, User] = {}
        for role, email, name in DEMO_USERS[1:]:
            found = auth_service.find_by_email(
                session, organization_id=pk(result.organization), email=email
            )
            users[role] = found if found is not None else auth_service.create_user(
                session,
                organization=result.organization,
                email=email,
                full_name=name,
                role=Role(role),
                password=DEMO_PASSWORD,
            )
        if with_candidates:
            typer.echo("simulating demo candidates through the real assessment pipeline…")
            populate(session, hr=users["hr"], manager=users["manager"])
    typer.echo(f"demo organization {DEMO_ORG!r} is ready (labelled as demo data)")
    typer.echo(f"  open      {settings.base_url}/login")
    for role, email, _name in DEMO_USERS:
        typer.echo(f"  {role:<9} {email} / {DEMO_PASSWORD}")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes")] = 1,
    reload: Annotated[bool, typer.Option(help="Reload on code changes (development)")] = False,
) -> None:
    """Serve the web pages, the API and the health probes."""
    import uvicorn

    from app.core.migrations import is_up_to_date

    settings = _settings()
    if not is_up_to_date():
        typer.echo("error: the database schema is not up to date; run `kam migrate` first",
                   err=True)
        raise typer.Exit(1)
    from app.ops.observability import prepare_multiprocess_metrics, uvicorn_log_config

    prepare_multiprocess_metrics(workers)
    typer.echo(f"KAM Assess on http://{host}:{port} (database: {_describe(settings)})")
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        reload=reload,
        proxy_headers=True,
        # Our RequestContext middleware logs requests with the candidate token redacted.
        access_log=False,
        log_config=uvicorn_log_config(settings.log_level, json=settings.json_logs),
        timeout_graceful_shutdown=20,
    )


def _describe(settings: Settings) -> str:
    from sqlalchemy.engine import make_url

    return make_url(settings.database_url).render_as_string(hide_password=True)


from app.worker.cli import worker  # noqa: E402  (kept beside its registration)

app.command()(worker)

from app.ops.ops_cli import backup, restore  # noqa: E402

app.command()(backup)
app.command()(restore)

from app.norms.cli import norms_app  # noqa: E402

app.add_typer(norms_app, name="norms")

from app.audit.cli import audit_app  # noqa: E402

app.add_typer(audit_app, name="audit")


def main() -> None:
    """Entry point of the ``kam`` console script."""
    app()
