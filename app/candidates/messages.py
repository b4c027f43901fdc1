"""Messages to a candidate after a decision (advance, on hold, reject), in the candidate's
language, from templates each organization may edit, signed by a person to contact.

A template is plain text with ``{name}``, ``{position}``, ``{company}``, ``{contact_name}``
and ``{contact_email}``; any other brace is left as written. The person who sends the
message reads and may change it first; it goes through the outbox and is recorded in the
audit log (so it shows on the candidate's page).
"""

from __future__ import annotations

import string
from typing import Any

from sqlmodel import Session, col, select

from app.audit import service as audit
from app.audit.models import AuditEntry
from app.auth.models import User
from app.candidates.models import Candidate
from app.core.tenancy import owned_by
from app.organizations.models import Organization
from app.outbox import service as outbox
from app.positions.models import Position

KINDS = ("advance", "hold", "reject")
LANGUAGES = ("it", "en")
PLACEHOLDERS = ("name", "position", "company", "contact_name", "contact_email")
SETTINGS_KEY = "decision_messages"
MAX_SUBJECT = 200
MAX_BODY = 5000

DEFAULTS: dict[str, dict[str, dict[str, str]]] = {
    "advance": {
        "en": {"subject": "Next step for the position {position}",
               "body": "Dear {name},\n\nthank you for taking our assessment for the position "
                       "{position}. We would like to meet you for the next step: "
                       "{contact_name} will contact you in the coming days to agree on a "
                       "date.\n\nIf you have questions, write to {contact_email}.\n\n"
                       "Kind regards,\n{contact_name}\n{company}\n"},
        "it": {"subject": "Prossimo passo per la posizione {position}",
               "body": "Gentile {name},\n\ngrazie per aver svolto la nostra valutazione per "
                       "la posizione {position}. Vorremmo incontrarti per il passo "
                       "successivo: {contact_name} ti contatterà nei prossimi giorni per "
                       "fissare una data.\n\nPer domande scrivi a {contact_email}.\n\n"
                       "Cordiali saluti,\n{contact_name}\n{company}\n"},
    },
    "hold": {
        "en": {"subject": "Your application for {position}",
               "body": "Dear {name},\n\nthank you for taking our assessment for the position "
                       "{position}. We are still meeting other candidates and will let you "
                       "know how we decide as soon as we can.\n\nIf you have questions, "
                       "write to {contact_email}.\n\nKind regards,\n{contact_name}\n"
                       "{company}\n"},
        "it": {"subject": "La tua candidatura per {position}",
               "body": "Gentile {name},\n\ngrazie per aver svolto la nostra valutazione per "
                       "la posizione {position}. Stiamo ancora incontrando altre persone e "
                       "ti faremo sapere la nostra decisione appena possibile.\n\nPer "
                       "domande scrivi a {contact_email}.\n\nCordiali saluti,\n"
                       "{contact_name}\n{company}\n"},
    },
    "reject": {
        "en": {"subject": "Your application for {position}",
               "body": "Dear {name},\n\nthank you for the time you gave to our assessment "
                       "for the position {position}. After careful consideration we have "
                       "decided to continue with other candidates.\n\nWe wish you every "
                       "success. If you would like to talk about it, write to "
                       "{contact_email}.\n\nKind regards,\n{contact_name}\n{company}\n"},
        "it": {"subject": "La tua candidatura per {position}",
               "body": "Gentile {name},\n\ngrazie per il tempo che hai dedicato alla nostra "
                       "valutazione per la posizione {position}. Dopo un'attenta "
                       "valutazione abbiamo deciso di proseguire con altre persone.\n\n"
                       "Ti auguriamo ogni successo. Se vuoi parlarne, scrivi a "
                       "{contact_email}.\n\nCordiali saluti,\n{contact_name}\n{company}\n"},
    },
}


def templates(organization: Organization | None) -> dict[str, dict[str, dict[str, str]]]:
    """The organization's templates: its own where it wrote one, the defaults elsewhere."""
    own = ((organization.settings or {}) if organization else {}).get(SETTINGS_KEY) or {}
    return {
        kind: {
            lang: {part: str((own.get(kind) or {}).get(lang, {}).get(part)
                             or DEFAULTS[kind][lang][part])
                   for part in ("subject", "body")}
            for lang in LANGUAGES
        }
        for kind in KINDS
    }


def save_templates(
    session: Session, *, organization: Organization, values: dict[str, dict[str, dict[str, str]]]
) -> None:
    """Store the organization's templates (a template equal to the default is not stored)."""
    own: dict[str, Any] = {}
    for kind in KINDS:
        for lang in LANGUAGES:
            for part in ("subject", "body"):
                text = values.get(kind, {}).get(lang, {}).get(part, "").strip()
                if text and text != DEFAULTS[kind][lang][part].strip():
                    own.setdefault(kind, {}).setdefault(lang, {})[part] = text
    settings = dict(organization.settings or {})
    settings[SETTINGS_KEY] = own
    organization.settings = settings
    session.add(organization)
    session.flush()


class _Blanks(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def fill(text: str, values: dict[str, str]) -> str:
    """The template with its placeholders filled; unknown braces stay as written."""
    try:
        return string.Formatter().vformat(text, (), _Blanks(values))
    except (ValueError, IndexError):  # a lone brace: leave the text as it is
        return text


def draft(
    session: Session, *, candidate: Candidate, kind: str, sender: User
) -> dict[str, str]:
    """The message for ``kind`` in the candidate's language, filled in, to read and edit."""
    organization = session.get(Organization, candidate.organization_id)
    position = session.get(Position, candidate.position_id)
    lang = candidate.language if candidate.language in LANGUAGES else "en"
    template = templates(organization)[kind][lang]
    values = {"name": candidate.full_name, "position": position.title if position else "",
              "company": organization.name if organization else "",
              "contact_name": sender.full_name, "contact_email": sender.email}
    return {"subject": fill(template["subject"], values), "body": fill(template["body"], values),
            "language": lang}


def send(
    session: Session, *, candidate: Candidate, kind: str, subject: str, body: str,
    sender: User, ip: str | None = None,
) -> None:
    """Queue the message and record it (audit); the caller commits."""
    outbox.enqueue_email(
        session, organization_id=candidate.organization_id, to=candidate.email,
        subject=subject, text=body if body.endswith("\n") else body + "\n",
        reference={"candidate_id": candidate.id, "decision_message": kind,
                   "user_id": sender.id},
    )
    audit.record(session, actor=sender, action="candidate.message", object_type="candidate",
                 object_id=candidate.id, details={"kind": kind, "subject": subject}, ip=ip)


def sent(session: Session, *, candidate: Candidate) -> list[dict[str, Any]]:
    """The messages sent to the candidate after decisions, oldest first."""
    rows = session.exec(
        select(AuditEntry, User.full_name)
        .join(User, col(User.id) == AuditEntry.actor_user_id, isouter=True)
        .where(owned_by(AuditEntry, candidate.organization_id),
               AuditEntry.action == "candidate.message",
               AuditEntry.object_type == "candidate",
               AuditEntry.object_id == str(candidate.id))
        .order_by(col(AuditEntry.created_at))
    ).all()
    return [{"at": entry.created_at, "kind": (entry.details or {}).get("kind"),
             "subject": (entry.details or {}).get("subject"), "by": name}
            for entry, name in rows]
