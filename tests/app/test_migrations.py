"""Alembic is the only way the schema is made: one head, upgrades cleanly, matches the models."""

import json

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

import app.models
from app.core.db import get_engine
from app.core.migrations import heads, is_up_to_date, upgrade


def test_there_is_exactly_one_head():
    assert len(heads()) == 1


def test_empty_database_upgrades_to_head(fresh_database):
    engine = get_engine()
    assert not is_up_to_date()
    upgrade()
    assert is_up_to_date()
    assert set(app.models.metadata.tables) <= set(inspect(engine).get_table_names())


def test_migrations_match_the_models(engine):
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "render_as_batch": True}
        )
        differences = compare_metadata(context, app.models.metadata)
    assert differences == []


def test_upgrading_twice_changes_nothing(fresh_database):
    upgrade()
    upgrade()
    assert is_up_to_date()


def test_bank_v2_migration_keeps_positions_on_their_hurdle_and_version(fresh_database):
    """A position of the first schema ("B2", English) becomes {"language": "en", ...}, keeps
    the versions published when it was migrated, and the downgrade gives the level back."""
    import sqlalchemy as sa

    from app.core.migrations import alembic_config

    engine = get_engine()
    upgrade(revision="986f834b5d46")
    now = "2026-11-30 10:00:00"
    with engine.begin() as connection:
        connection.execute(sa.text(
            "INSERT INTO organization (name, slug, retention_months, default_language, settings, "
            "is_demo, created_at) VALUES ('Acme', 'acme', 24, 'it', '{}', false, :now)"),
            {"now": now})
        connection.execute(sa.text(
            "INSERT INTO questionnaire_version (key, version, content_hash, content, "
            "published_at) VALUES ('english', 1, 'x', '{}', :now)"), {"now": now})
        for title, hurdle in (("With hurdle", "B2"), ("Without", None)):
            connection.execute(sa.text(
                "INSERT INTO position (organization_id, title, status, questionnaires, weights, "
                "minimums, language_hurdle, knockouts, cost_assumptions, ranking, "
                "invitation_expiry_days, created_at, updated_at) VALUES (1, :title, 'open', "
                "'[\"english\"]', '{}', '{}', :hurdle, '{}', '{}', '{}', 14, :now, :now)"),
                {"title": title, "hurdle": hurdle, "now": now})
    upgrade()
    with engine.connect() as connection:
        rows = connection.execute(sa.text(
            "SELECT title, language_hurdle, questionnaire_versions FROM position ORDER BY id"
        )).all()
    decoded = [(t, h if isinstance(h, dict) or h is None else json.loads(h),
                v if isinstance(v, dict) else json.loads(v)) for t, h, v in rows]
    assert decoded == [
        ("With hurdle", {"language": "en", "level": "B2"}, {"english": 1}),
        ("Without", None, {"english": 1}),
    ]
    from alembic import command

    command.downgrade(alembic_config(), "986f834b5d46")
    with engine.connect() as connection:
        levels = connection.execute(sa.text(
            "SELECT language_hurdle FROM position ORDER BY id")).scalars().all()
    assert levels == ["B2", None]


def test_issue_17_migration_seals_the_existing_audit_log(fresh_database):
    """Entries written before the hash chain are sealed in id order, per organization, and
    verify; an organization's later entries continue its chain."""
    import sqlalchemy as sa
    from sqlmodel import Session

    from app.audit import service as audit_service

    engine = get_engine()
    upgrade(revision="16a1b2c3d4e5")  # the revision before issue 17's
    now = "2026-11-30 10:00:00+00:00"
    with engine.begin() as connection:
        for slug in ("acme", "beta"):
            connection.execute(sa.text(
                "INSERT INTO organization (name, slug, retention_months, default_language, "
                "settings, is_demo, created_at) VALUES (:slug, :slug, 24, 'it', '{}', false, "
                ":now)"), {"slug": slug, "now": now})
        for n, organization in enumerate((1, 2, 1, None, 1)):
            connection.execute(sa.text(
                "INSERT INTO audit_log (organization_id, action, object_type, object_id, details,"
                " ip, created_at) VALUES (:org, 'candidate.invite', 'candidate', :obj, :details,"
                " '10.0.0.1', :now)"),
                {"org": organization, "obj": str(n), "details": json.dumps({"n": n, "è": "é"}),
                 "now": now})
    upgrade()
    with Session(engine) as session:
        verdicts = {key: audit_service.verify(session, organization_id=key)
                    for key in (1, 2, None)}
        assert {k: (v.ok, v.checked) for k, v in verdicts.items()} == {
            1: (True, 3), 2: (True, 1), None: (True, 1)}
        audit_service.record(session, actor=None, action="candidate.export",
                             object_type="candidate", object_id=9, organization_id=1)
        session.commit()
        assert audit_service.verify(session, organization_id=1).checked == 4
