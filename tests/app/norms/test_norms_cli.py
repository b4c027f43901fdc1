"""``kam norms`` (to be registered in app/cli.py) against a fresh database."""

from typer.testing import CliRunner

from app.bank import service as bank_service
from app.core.db import session_scope
from app.core.migrations import upgrade
from app.norms.cli import norms_app
from tests.app.reports.scenario import bulk_completed
from tests.factories import create_organization, create_position, create_user

runner = CliRunner()


def test_rebuild_due_then_status(fresh_database):
    upgrade()
    with session_scope() as session:
        bank_service.publish(session)
        organization = create_organization(session, name="Norm Srl")
        admin = create_user(session, organization=organization)
        position = create_position(session, actor=admin, questionnaires=["english"])
        bulk_completed(session, position=position, n=12)
        name = organization.name
    result = runner.invoke(norms_app, ["rebuild", "--due"])
    assert result.exit_code == 0, result.output
    assert "english v1 rebuilt (n = 12)" in result.output
    again = runner.invoke(norms_app, ["rebuild", "--due"])
    assert again.exit_code == 0 and again.output == ""
    status = runner.invoke(norms_app, ["status", "--org", name])
    assert status.exit_code == 0, status.output
    assert "english v1: norms not yet established (n = 12 of 100) (12 completed)" in status.output
    unknown = runner.invoke(norms_app, ["status", "--org", "Nobody Spa"])
    assert unknown.exit_code == 1 and "no organization" in unknown.output
