"""The audit log's hash chain: what each entry's hash covers, and how a chain is checked.

Each organization's entries (and the system's, with no organization) form one chain in the
order of their ids::

    content_hash = SHA-256(canonical JSON of the entry's content)
    entry_hash   = SHA-256(prev_hash ‖ content_hash)        prev_hash of the first = 64 × "0"

The canonical content is the entry's id, organization, actor, action, object, details, IP and
time, as JSON with sorted keys and no spaces (times in UTC with microseconds), so the same
entry hashes the same on SQLite and PostgreSQL. Editing an entry changes its content hash;
inserting or deleting one breaks the link of the next entry (its ``prev_hash``); deleting
the newest ones leaves the chain shorter than its head (``audit_head``) says.

Retention prunes an entry's content but keeps its ``content_hash``: the chain still links,
and what was pruned is reported as pruned, not as changed.

This module only computes; it imports nothing from the database layer (the migration that
seals existing rows uses it too).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

GENESIS = "0" * 64


def _when(value: datetime | str | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def normalized_details(details: Mapping[str, Any] | None) -> dict[str, Any]:
    """The details as they read back from a JSON column (dates as ISO text, tuples as lists)."""
    normalized: dict[str, Any] = json.loads(
        json.dumps(dict(details or {}), default=str, ensure_ascii=False)
    )
    return normalized


def canonical(row: Mapping[str, Any]) -> str:
    """The canonical JSON text of an entry's content (the keys of :data:`CONTENT`)."""
    content = {
        "id": row["id"],
        "organization_id": row["organization_id"],
        "actor_user_id": row["actor_user_id"],
        "action": row["action"],
        "object_type": row["object_type"],
        "object_id": row["object_id"],
        "details": row["details"] or {},
        "ip": row["ip"],
        "created_at": _when(row["created_at"]),
    }
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def content_hash(row: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of the canonical content."""
    return hashlib.sha256(canonical(row).encode("utf-8")).hexdigest()


def link(prev_hash: str, content: str) -> str:
    """The entry's hash: SHA-256 of the previous entry's hash followed by its content hash."""
    return hashlib.sha256((prev_hash + content).encode("ascii")).hexdigest()


@dataclass
class Verdict:
    """The result of checking one chain: ``problem`` is None when it is intact."""

    checked: int = 0
    pruned: int = 0
    head_id: int | None = None
    head_hash: str = GENESIS
    problem: str | None = None  # changed | inserted | deleted | truncated | unsealed
    entry_id: int | None = None
    message: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Whether the chain is intact."""
        return self.problem is None

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "ok": self.ok, "checked": self.checked, "pruned": self.pruned,
            "head_id": self.head_id, "head_hash": self.head_hash, "problem": self.problem,
            "entry_id": self.entry_id, "message": self.message,
        }


def verify(
    rows: Iterable[Mapping[str, Any]],
    *,
    head_id: int | None = None,
    head_hash: str | None = None,
) -> Verdict:
    """Check a chain given its rows in id order (each with its content, ``prev_hash``,
    ``content_hash``, ``entry_hash`` and ``pruned_at``), and the head it should end at.

    Reports the first entry that was changed, inserted or deleted (or the missing tail).

    >>> rows, prev = [], GENESIS
    >>> for i in (1, 2, 3):
    ...     row = {"id": i, "organization_id": 1, "actor_user_id": None, "action": "x",
    ...            "object_type": "t", "object_id": None, "details": {}, "ip": None,
    ...            "created_at": "2026-12-01T00:00:00+00:00", "pruned_at": None}
    ...     row["prev_hash"], row["content_hash"] = prev, content_hash(row)
    ...     row["entry_hash"] = prev = link(prev, row["content_hash"])
    ...     rows.append(row)
    >>> verify(rows, head_id=3, head_hash=prev).ok
    True
    >>> rows[1]["action"] = "y"
    >>> v = verify(rows, head_id=3, head_hash=prev); (v.problem, v.entry_id)
    ('changed', 2)
    >>> rows[1]["action"] = "x"
    >>> v = verify([rows[0], rows[2]], head_id=3, head_hash=prev); (v.problem, v.entry_id)
    ('deleted', 3)
    """
    chain = list(rows)
    verdict = Verdict()
    expected_prev = GENESIS
    seen: dict[str, int | None] = {GENESIS: None}
    previous_id: int | None = None
    for index, row in enumerate(chain):
        entry_id = row["id"]
        if row.get("entry_hash") is None:
            return _found(verdict, "unsealed", entry_id,
                          f"entry {entry_id} has no hash: it was added outside the log")
        if head_id is not None and entry_id > head_id:
            return _found(verdict, "inserted", entry_id,
                          f"entry {entry_id} was inserted after the log's last entry {head_id}")
        if row["prev_hash"] != expected_prev:
            return _broken_link(verdict, chain, index, expected_prev, seen, previous_id)
        stored_content = row["content_hash"]
        content_ok = row.get("pruned_at") is not None or content_hash(row) == stored_content
        if not content_ok or link(expected_prev, stored_content) != row["entry_hash"]:
            if _followed_by_a_sibling(chain, index, expected_prev):
                return _found(verdict, "inserted", entry_id,
                              f"entry {entry_id} was inserted after entry {previous_id}")
            return _found(verdict, "changed", entry_id,
                          f"entry {entry_id} was changed after it was written" if not content_ok
                          else f"entry {entry_id}'s hash was changed after it was written")
        verdict.checked += 1
        verdict.pruned += row.get("pruned_at") is not None
        expected_prev = row["entry_hash"]
        seen[expected_prev] = entry_id
        previous_id = entry_id
        verdict.head_id, verdict.head_hash = entry_id, expected_prev
    if head_hash is None or head_hash == verdict.head_hash:
        return verdict
    if head_hash in seen:
        after = seen[head_hash]
        first = _next_id_after(after, seen)
        return _found(verdict, "inserted", first,
                      f"entry {first} was inserted: the log ended at entry {after}")
    return _found(verdict, "deleted" if previous_id is not None and head_id is not None
                  and head_id > previous_id else "changed", head_id,
                  f"the log should end at entry {head_id} but ends at entry {previous_id}:"
                  " the newest entries were deleted" if head_id is not None
                  and previous_id is not None and head_id > previous_id
                  else f"the log's head (entry {head_id}) does not match its last entry")


def _found(verdict: Verdict, problem: str, entry_id: int | None, message: str) -> Verdict:
    verdict.problem, verdict.entry_id, verdict.message = problem, entry_id, message
    return verdict


def _broken_link(
    verdict: Verdict,
    chain: list[Mapping[str, Any]],
    index: int,
    expected_prev: str,
    seen: Mapping[str, int | None],
    previous_id: int | None,
) -> Verdict:
    """Why the entry at ``index`` does not follow the one before it: inserted or deleted."""
    row = chain[index]
    entry_id = row["id"]
    # A later entry that does follow the last good one: everything between was put in.
    if _followed_by_a_sibling(chain, index, expected_prev):
        return _found(verdict, "inserted", entry_id,
                      f"entry {entry_id} was inserted after entry {previous_id}")
    if row["prev_hash"] in seen:
        after = seen[row["prev_hash"]]
        first = _next_id_after(after, seen)
        return _found(verdict, "inserted", first,
                      f"entry {first} was inserted: entry {entry_id} follows entry "
                      f"{after if after is not None else '(the start)'} in the chain")
    return _found(verdict, "deleted", entry_id,
                  f"an entry before entry {entry_id} (after entry "
                  f"{previous_id if previous_id is not None else '(the start)'}) was deleted")


def _followed_by_a_sibling(
    chain: list[Mapping[str, Any]], index: int, expected_prev: str
) -> bool:
    """Whether a later entry claims the same predecessor as the one at ``index``."""
    return any(later["prev_hash"] == expected_prev for later in chain[index + 1:])


def _next_id_after(after: int | None, seen: Mapping[str, int | None]) -> int | None:
    ids = [i for i in seen.values() if i is not None and (after is None or i > after)]
    return min(ids) if ids else None
