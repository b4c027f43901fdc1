"""The audit log as a hash chain: ``kam audit verify`` finds an edited, an inserted and a
deleted entry (on SQLite and PostgreSQL, whichever the run uses), and retention prunes
content without breaking the chain."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from app.audit import chain as audit_chain
from app.audit import service as audit
from app.audit.models import AuditEntry, AuditHead
from app.cli import app as cli
from app.core.db import session_scope
from tests.factories import create_organization, create_user

runner = CliRunner()


def _write(session, actor, n=5):
    return [
        audit.record(session, actor=actor, action="candidate.invite", object_type="candidate",
                     object_id=i, details={"n": i, "note": "è", "at": datetime(2026, 1, i,
                                                                             tzinfo=UTC)},
                     ip="10.0.0.1")
        for i in range(1, n + 1)
    ]


def _sql(session, statement: str, **params) -> None:
    session.execute(text(statement), params)
    session.expire_all()


def test_an_intact_chain_verifies_and_links_each_entry_to_the_last(session):
    admin = create_user(session)
    entries = _write(session, admin)

    verdict = audit.verify(session, organization_id=admin.organization_id)

    assert verdict.ok, verdict.message
    assert verdict.checked == len(entries)
    assert entries[0].prev_hash == audit_chain.GENESIS
    for before, after in itertools.pairwise(entries):
        assert after.prev_hash == before.entry_hash
    head = session.get(AuditHead, admin.organization_id)
    assert (head.last_id, head.last_hash) == (entries[-1].id, entries[-1].entry_hash)


def test_each_organization_has_its_own_chain(session):
    ours, theirs = create_user(session), create_user(session)
    _write(session, ours, 2)
    _write(session, theirs, 3)
    mine = _write(session, ours, 1)[0]

    assert audit.verify(session, organization_id=ours.organization_id).checked == 3
    assert audit.verify(session, organization_id=theirs.organization_id).ok
    assert mine.prev_hash != audit_chain.GENESIS


@pytest.mark.parametrize(
    ("statement", "field"),
    [
        ("UPDATE audit_log SET details = :value WHERE id = :id", "details"),
        ("UPDATE audit_log SET action = 'candidate.export' WHERE id = :id", "action"),
        ("UPDATE audit_log SET actor_user_id = NULL WHERE id = :id", "actor"),
        ("UPDATE audit_log SET created_at = :when WHERE id = :id", "time"),
    ],
)
def test_an_edited_entry_is_reported(session, statement, field):
    admin = create_user(session)
    entries = _write(session, admin)
    target = entries[2]

    _sql(session, statement, id=target.id, value=json.dumps({"n": 99}),
         when=datetime(2026, 1, 1, tzinfo=UTC))
    verdict = audit.verify(session, organization_id=admin.organization_id)

    assert (verdict.problem, verdict.entry_id) == ("changed", target.id), field
    assert verdict.checked == 2


def test_an_edited_entry_with_its_hashes_recomputed_breaks_the_next_link(session):
    admin = create_user(session)
    entries = _write(session, admin)
    target = entries[1]
    forged = {**{k: getattr(target, k) for k in ("id", "organization_id", "actor_user_id",
                                                 "action", "object_type", "object_id", "ip",
                                                 "created_at")}, "details": {"n": 0}}
    content = audit_chain.content_hash(forged)
    _sql(session, "UPDATE audit_log SET details = :d, content_hash = :c, entry_hash = :e "
         "WHERE id = :id", d=json.dumps({"n": 0}), c=content,
         e=audit_chain.link(target.prev_hash, content), id=target.id)

    verdict = audit.verify(session, organization_id=admin.organization_id)

    assert not verdict.ok
    assert verdict.entry_id == entries[2].id


def test_an_inserted_entry_is_reported(session):
    admin = create_user(session)
    entries = _write(session, admin, 3)
    # Someone with database access appends a row after the log's head, hashes and all.
    forged = {"id": entries[-1].id + 1000, "organization_id": admin.organization_id,
              "actor_user_id": admin.id, "action": "candidate.decision",
              "object_type": "candidate", "object_id": "1", "details": {}, "ip": None,
              "created_at": datetime(2026, 1, 1, tzinfo=UTC)}
    content = audit_chain.content_hash(forged)
    _sql(session, "INSERT INTO audit_log (id, organization_id, actor_user_id, action, "
         "object_type, object_id, details, created_at, prev_hash, content_hash, entry_hash) "
         "VALUES (:id, :org, :actor, 'candidate.decision', 'candidate', '1', '{}', :when, "
         ":prev, :content, :entry)", id=forged["id"], org=admin.organization_id,
         actor=admin.id, when=forged["created_at"], prev=entries[-1].entry_hash,
         content=content, entry=audit_chain.link(entries[-1].entry_hash, content))

    verdict = audit.verify(session, organization_id=admin.organization_id)

    assert (verdict.problem, verdict.entry_id) == ("inserted", forged["id"])


def test_an_entry_inserted_between_two_is_reported(session):
    admin = create_user(session)
    first = _write(session, admin, 1)[0]
    # A gap in the ids (a rolled-back transaction leaves one on PostgreSQL) is filled later.
    _sql(session, "INSERT INTO audit_log (id, organization_id, action, object_type, details, "
         "created_at, prev_hash, content_hash, entry_hash) VALUES (:id, :org, 'x', 'y', '{}',"
         " :when, :prev, :c, :e)", id=first.id + 5000, org=admin.organization_id,
         when=datetime(2026, 1, 1, tzinfo=UTC), prev=first.entry_hash, c="0" * 64,
         e="1" * 64)
    _sql(session, "UPDATE audit_head SET last_id = :big WHERE chain = :org",
         big=first.id + 10_000, org=admin.organization_id)
    later = AuditEntry(id=first.id + 10_000, organization_id=admin.organization_id,
                       action="candidate.export", object_type="candidate")
    later.prev_hash = first.entry_hash
    later.content_hash = audit_chain.content_hash(
        {**later.model_dump(), "created_at": later.created_at, "details": {}})
    later.entry_hash = audit_chain.link(first.entry_hash, later.content_hash)
    session.add(later)
    session.flush()
    _sql(session, "UPDATE audit_head SET last_hash = :h WHERE chain = :org",
         h=later.entry_hash, org=admin.organization_id)

    verdict = audit.verify(session, organization_id=admin.organization_id)

    assert (verdict.problem, verdict.entry_id) == ("inserted", first.id + 5000)


def test_a_deleted_entry_is_reported(session):
    admin = create_user(session)
    ids = [entry.id for entry in _write(session, admin)]

    _sql(session, "DELETE FROM audit_log WHERE id = :id", id=ids[1])
    verdict = audit.verify(session, organization_id=admin.organization_id)

    assert (verdict.problem, verdict.entry_id) == ("deleted", ids[2])
    assert str(ids[0]) in verdict.message


def test_deleting_the_newest_entries_is_reported(session):
    admin = create_user(session)
    ids = [entry.id for entry in _write(session, admin)]

    _sql(session, "DELETE FROM audit_log WHERE id >= :id", id=ids[3])
    verdict = audit.verify(session, organization_id=admin.organization_id)

    assert verdict.problem == "deleted"
    assert verdict.entry_id == ids[-1]


def test_retention_prunes_content_keeps_decisions_six_months_and_the_chain(session):
    admin = create_user(session)
    organization_id = admin.organization_id
    now = datetime(2026, 12, 1, tzinfo=UTC)
    old_invite = audit.record(session, actor=admin, action="candidate.invite",
                              object_type="candidate", object_id=1, ip="10.0.0.9")
    old_decision = audit.record(session, actor=admin, action="candidate.decision",
                                object_type="candidate", object_id=1, details={"d": "hire"})
    older_decision = audit.record(session, actor=admin, action="candidate.decision",
                                  object_type="candidate", object_id=2)
    fresh = audit.record(session, actor=admin, action="candidate.invite",
                         object_type="candidate", object_id=3)
    # Back-date through the chain's own columns: re-seal so only retention is under test.
    for entry, days in ((old_invite, 100), (old_decision, 100), (older_decision, 200),
                        (fresh, 1)):
        entry.created_at = now - timedelta(days=days)
    _reseal(session, organization_id)

    pruned = audit.prune(session, organization_id=organization_id, months=2, now=now)
    session.expire_all()

    assert pruned == 2  # the invitation past 2 months, the decision past the 6-month floor
    assert session.get(AuditEntry, old_invite.id).pruned_at is not None
    assert session.get(AuditEntry, old_invite.id).ip is None
    assert session.get(AuditEntry, old_decision.id).pruned_at is None
    assert session.get(AuditEntry, old_decision.id).details == {"d": "hire"}
    assert session.get(AuditEntry, older_decision.id).pruned_at is not None
    assert session.get(AuditEntry, fresh.id).pruned_at is None
    verdict = audit.verify(session, organization_id=organization_id)
    assert verdict.ok, verdict.message
    assert (verdict.checked, verdict.pruned) == (4, 2)


def _reseal(session, organization_id):
    from sqlmodel import col, select

    prev = audit_chain.GENESIS
    rows = session.exec(select(AuditEntry).where(AuditEntry.organization_id == organization_id)
                        .order_by(col(AuditEntry.id))).all()
    for row in rows:
        row.prev_hash = prev
        row.content_hash = audit_chain.content_hash({**row.model_dump(),
                                                     "created_at": row.created_at})
        row.entry_hash = prev = audit_chain.link(prev, row.content_hash)
    head = session.get(AuditHead, organization_id)
    head.last_hash = prev
    session.flush()


def test_kam_audit_verify_reports_the_broken_entry_and_exits_1(fresh_database):
    assert runner.invoke(cli, ["migrate"]).exit_code == 0
    with session_scope() as session:
        organization = create_organization(session, name="Chain Srl")
        admin = create_user(session, organization=organization)
        ids = [entry.id for entry in _write(session, admin, 4)]

    intact = runner.invoke(cli, ["audit", "verify", "--org", "Chain Srl"])
    assert intact.exit_code == 0, intact.output
    assert "intact, 4 entries" in intact.output

    with session_scope() as session:
        session.execute(text("UPDATE audit_log SET ip = '6.6.6.6' WHERE id = :id"),
                        {"id": ids[1]})
    broken = runner.invoke(cli, ["audit", "verify"])
    assert broken.exit_code == 1
    assert f"BROKEN at entry {ids[1]} (changed)" in broken.output


def test_weight_changes_are_audited_with_old_and_new_values(client, session):
    from sqlmodel import select

    from tests.app.reports.scenario import make_team
    from tests.factories import auth_headers

    team = make_team(session, weights={"commercial_knowledge": 0.5, "languages": 0.5})
    response = client.patch(f"/api/v1/positions/{team.position.id}",
                            headers=auth_headers(client, team.hr),
                            json={"weights": {"commercial_knowledge": 0.7, "languages": 0.3},
                                  "minimums": {"commercial_knowledge": 40}})
    assert response.status_code == 200, response.text

    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "position.update")
                         .order_by(AuditEntry.id.desc())).first()
    assert entry.details["weights"] == {
        "from": {"commercial_knowledge": 0.5, "languages": 0.5},
        "to": {"commercial_knowledge": 0.7, "languages": 0.3}}
    assert entry.details["minimums"]["to"] == {"commercial_knowledge": 40}
    assert audit.verify(session, organization_id=team.admin.organization_id).ok


def test_concurrent_writers_keep_one_unbroken_chain(fresh_database):
    """Two connections writing at once: the head row serializes them, so the ids of a chain
    follow the order it was written in and the chain verifies."""
    import threading

    from app.core.db import get_engine, session_for

    assert runner.invoke(cli, ["migrate"]).exit_code == 0
    with session_scope() as session:
        admin = create_user(session, organization=create_organization(session, name="Busy"))
        admin_id, organization_id = admin.id, admin.organization_id
    errors: list[BaseException] = []

    def write(worker: int) -> None:
        from app.auth.models import User

        try:
            for i in range(15):
                with session_for(get_engine()) as session:
                    actor = session.get(User, admin_id)
                    audit.record(session, actor=actor, action="candidate.invite",
                                 object_type="candidate", object_id=worker * 100 + i)
                    session.commit()
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    with session_scope(read_only=True) as session:
        verdict = audit.verify(session, organization_id=organization_id)
    assert verdict.ok, verdict.message
    assert verdict.checked == 45


def test_the_audit_page_and_api_show_the_chain_state(client, session):
    from tests.factories import auth_headers, login_browser

    admin = create_user(session)
    ids = [entry.id for entry in _write(session, admin, 3)]
    headers = auth_headers(client, admin)
    assert client.get("/api/v1/audit/verify", headers=headers).json()["ok"] is True
    login_browser(client, admin)
    assert "chain of 3 entries is intact" in client.get("/admin/audit").text

    _sql(session, "UPDATE audit_log SET action = 'x' WHERE id = :id", id=ids[0])
    body = client.get("/api/v1/audit/verify", headers=headers).json()
    assert (body["ok"], body["problem"], body["entry_id"]) == (False, "changed", ids[0])
    assert "Tamper check failed" in client.get("/admin/audit").text
