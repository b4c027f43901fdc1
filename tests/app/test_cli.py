"""The kam command line against a fresh database."""

from sqlmodel import select
from typer.testing import CliRunner

from app.auth.models import User
from app.cli import app as cli
from app.core.db import session_scope
from app.organizations.models import Organization

runner = CliRunner()


def test_init_is_idempotent(fresh_database):
    args = ["init", "--org", "Acme Spa", "--admin-email", "boss@acme.example",
            "--admin-password", "a-long-password"]
    first = runner.invoke(cli, args)
    assert first.exit_code == 0, first.output
    assert "organization 'Acme Spa': created" in first.output
    second = runner.invoke(cli, args)
    assert second.exit_code == 0, second.output
    assert "already exists" in second.output
    with session_scope(read_only=True) as session:
        assert len(session.exec(select(Organization)).all()) == 1
        assert len(session.exec(select(User)).all()) == 1


def test_orgs_create_and_users_create(fresh_database):
    runner.invoke(cli, ["migrate"])
    result = runner.invoke(cli, ["orgs", "create", "--org", "Beta Srl", "--admin-email",
                                 "a@beta.example", "--admin-password", "a-long-password"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(cli, ["users", "create", "--org", "Beta Srl", "--email",
                                 "hr@beta.example", "--password", "a-long-password",
                                 "--role", "hr", "--name", "Hanna"])
    assert result.exit_code == 0, result.output
    with session_scope(read_only=True) as session:
        hr = session.exec(select(User).where(User.email == "hr@beta.example")).one()
        assert hr.role == "hr"


def test_users_create_refuses_unknown_org_and_short_password(fresh_database):
    runner.invoke(cli, ["migrate"])
    result = runner.invoke(cli, ["users", "create", "--org", "Nope", "--email", "x@x.example",
                                 "--password", "a-long-password"])
    assert result.exit_code == 1
    assert "no organization named" in result.output
    runner.invoke(cli, ["orgs", "create", "--org", "Gamma", "--admin-email", "g@g.example",
                        "--admin-password", "a-long-password"])
    result = runner.invoke(cli, ["users", "create", "--org", "Gamma", "--email", "y@g.example",
                                 "--password", "short"])
    assert result.exit_code == 1
    assert "password: Use at least 12 characters" in result.output


def test_demo_prints_url_and_credentials(fresh_database):
    result = runner.invoke(cli, ["demo"])
    assert result.exit_code == 0, result.output
    assert "/login" in result.output
    assert "demo.admin@example.com / demo-password" in result.output
    assert runner.invoke(cli, ["demo"]).exit_code == 0
    from app.assessments.models import Attempt
    from app.candidates.models import Candidate

    with session_scope(read_only=True) as session:
        started = session.exec(select(Candidate, Attempt).join(
            Attempt, Attempt.candidate_id == Candidate.id)).all()
        assert started
        # Each demo candidate was invited before starting, as the report lists the dates.
        assert all(c.created_at <= a.started_at for c, a in started)


def test_malformed_database_url_stops_with_a_message_naming_the_setting(monkeypatch):
    from app.core.config import get_settings

    monkeypatch.setenv("KAM_DATABASE_URL", "not a url")
    get_settings.cache_clear()
    try:
        result = runner.invoke(cli, ["migrate"])
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
    assert result.exit_code == 2
    assert "KAM_DATABASE_URL" in result.output


def test_questionnaires_validate_passes_on_the_shipped_bank():
    result = runner.invoke(cli, ["questionnaires", "validate"])
    assert result.exit_code == 0, result.output
    assert "0 problems in" in result.output
    assert "interview bank: no problems in 9 files" in result.output
    # v1 was published before the time rule: reported as failing it, still served.
    assert "business-sense v1" in result.output and "FAIL" in result.output
    strict = runner.invoke(cli, ["questionnaires", "validate", "--strict"])
    assert strict.exit_code == 1
    assert "section-time" in strict.output


def test_questionnaires_validate_names_file_item_and_rule(tmp_path):
    from questionnaires.loader import BANK_DIR

    broken = tmp_path / "commercial-knowledge.v1.yaml"
    text = (BANK_DIR / "commercial-knowledge.v1.yaml").read_text()
    broken.write_text(text.replace("time_limit_s: 330", "time_limit_s: 0", 1))
    result = runner.invoke(cli, ["questionnaires", "validate", str(broken)])
    assert result.exit_code == 1
    assert "commercial-knowledge.v1.yaml" in result.output
    assert "section-time-limit" in result.output


def test_questionnaires_load_is_idempotent(fresh_database):
    assert runner.invoke(cli, ["migrate"]).exit_code == 0
    result = runner.invoke(cli, ["questionnaires", "load"])
    assert result.exit_code == 0, result.output
    assert "english v1: unchanged" in result.output


def test_users_deactivate_ends_the_sessions_and_activate_lets_them_back(fresh_database):
    from app.audit.models import AuditEntry
    from app.auth import service as auth_service
    from app.auth.models import AuthSession

    runner.invoke(cli, ["migrate"])
    runner.invoke(cli, ["orgs", "create", "--org", "Delta", "--admin-email", "a@d.example",
                        "--admin-password", "a-long-password"])
    runner.invoke(cli, ["users", "create", "--org", "Delta", "--email", "hr@d.example",
                        "--password", "a-long-password", "--role", "hr"])
    with session_scope() as session:
        hr = session.exec(select(User).where(User.email == "hr@d.example")).one()
        token = auth_service.open_session(session, user=hr, kind="bearer", hours=1)

    result = runner.invoke(cli, ["users", "deactivate", "--org", "Delta", "--email",
                                 "HR@d.example"])

    assert result.exit_code == 0, result.output
    assert "deactivated" in result.output
    with session_scope() as session:
        assert auth_service.user_for_token(session, token=token, kind="bearer") is None
        assert session.exec(select(AuthSession)).all() == []
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == "user.deactivate")).one()
        assert entry.actor_user_id is None and entry.details["email"] == "hr@d.example"
    assert runner.invoke(cli, ["users", "activate", "--org", "Delta", "--email",
                               "hr@d.example"]).exit_code == 0
    with session_scope(read_only=True) as session:
        assert session.exec(select(User).where(User.email == "hr@d.example")).one().is_active
    unknown = runner.invoke(cli, ["users", "deactivate", "--org", "Delta", "--email",
                                  "nobody@d.example"])
    assert unknown.exit_code == 1 and "no user" in unknown.output
