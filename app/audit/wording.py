"""Audit entries as sentences a person reads ("Hugo Recruiter invited Giulia Bianchi to Key
Account Manager – Nord"), with links to what they are about; the JSON stays one click away.

The page looks the names up once (``app/audit/pages.py``); an object that is gone is named
by its number.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from markupsafe import Markup, escape


def _link(kind: str, ident: Any, name: str | None, fallback: str) -> Markup:
    text = escape(name or fallback)
    # Markup.format escapes what it puts in (the id too, which comes from the stored entry).
    if kind == "candidate":
        return Markup('<a href="/candidates/{}">{}</a>').format(ident, text)
    if kind == "position":
        return Markup('<a href="/positions/{}">{}</a>').format(ident, text)
    if kind == "user":
        return Markup('<a href="/admin/staff#user-{}">{}</a>').format(ident, text)
    return text


def sentence(_: Callable[..., str], entry: dict[str, Any], known: dict[str, dict[str, str]],
             decision_names: dict[str, str]) -> Markup:
    """The entry as one sentence, HTML-safe, with links."""
    kind, ident = entry["object_type"], entry["object_id"]
    details = entry["details"] or {}
    who = escape(entry["actor"]) if entry.get("actor_user_id") else escape(_("The system"))
    kinds = {"candidate": _("candidate"), "position": _("position"), "user": _("user")}
    obj = _link(kind, ident, known.get(kind, {}).get(str(ident)),
                _("%(kind)s #%(id)s", kind=kinds.get(kind, kind), id=ident))
    position_id = details.get("position_id")
    position = _link("position", position_id,
                     known["position"].get(str(position_id)), f"#{position_id}")
    action = entry["action"]
    # the role names the staff page shows (a manager is a "hiring manager" there too)
    role_names = {"admin": _("admin"), "hr": _("HR"), "manager": _("hiring manager")}
    texts: dict[str, Callable[[], str]] = {
        "candidate.invite": lambda: _("%(who)s invited %(candidate)s to %(position)s",
                                      who=who, candidate=obj, position=position)
        if position_id else _("%(who)s invited %(candidate)s", who=who, candidate=obj),
        "candidate.resend": lambda: _("%(who)s e-mailed %(candidate)s a new link",
                                      who=who, candidate=obj),
        "candidate.new_link": lambda: _("%(who)s made a new link for %(candidate)s to copy",
                                        who=who, candidate=obj),
        "candidate.revoke": lambda: _("%(who)s revoked the link of %(candidate)s",
                                      who=who, candidate=obj),
        "candidate.erase": lambda: _("%(who)s erased the personal data of %(candidate)s",
                                     who=who, candidate=obj),
        "candidate.export": lambda: _("%(who)s took a copy of the data of %(candidate)s",
                                      who=who, candidate=obj),
        "candidate.message": lambda: _("%(who)s wrote to %(candidate)s: «%(subject)s»",
                                       who=who, candidate=obj,
                                       subject=escape(str(details.get("subject", "")))),
        "candidate.decision": lambda: _("%(who)s recorded «%(decision)s» for %(candidate)s",
                                        who=who, candidate=obj,
                                        decision=escape(decision_names.get(
                                            str(details.get("decision")),
                                            str(details.get("decision", ""))))),
        "position.create": lambda: _("%(who)s created the position %(position)s",
                                     who=who, position=obj),
        "position.update": lambda: _("%(who)s changed the position %(position)s",
                                     who=who, position=obj),
        "position.cost_assumptions": lambda: _(
            "%(who)s changed the cost assumptions of %(position)s", who=who, position=obj),
        "position.status": lambda: _("%(who)s set %(position)s to %(status)s", who=who,
                                     position=obj, status=escape(_(str(details.get("to", ""))))),
        "user.create": lambda: _("%(who)s added %(user)s to the staff", who=who, user=obj),
        "user.activate": lambda: _("%(who)s reactivated %(user)s", who=who, user=obj),
        "user.deactivate": lambda: _("%(who)s deactivated %(user)s", who=who, user=obj),
        "user.role": lambda: _("%(who)s made %(user)s %(role)s", who=who, user=obj,
                               role=escape(role_names.get(str(details.get("to", "")),
                                                          str(details.get("to", ""))))),
        "user.password": lambda: _("%(who)s changed their password", who=who),
        "user.password_link": lambda: _("%(who)s sent %(user)s a link to set a password",
                                        who=who, user=obj),
        "organization.retention": lambda: _("%(who)s changed how long candidate data is kept",
                                            who=who),
        "organization.time_zone": lambda: _("%(who)s set the time zone to %(zone)s", who=who,
                                            zone=escape(str(details.get("time_zone", "")))),
        "organization.messages": lambda: _("%(who)s changed the messages after a decision",
                                           who=who),
        "norms.import": lambda: _("%(who)s imported a norm table", who=who),
        "norms.rebuild": lambda: _("%(who)s rebuilt the norm tables", who=who),
        "webhooks.update": lambda: _("%(who)s changed the webhook settings", who=who),
        "webhooks.delete": lambda: _("%(who)s removed the webhook", who=who),
        "oversight.settings": lambda: _("%(who)s changed the fairness and oversight settings",
                                        who=who),
        "interview.assign": lambda: _("%(who)s put together the interview panel of "
                                      "%(candidate)s", who=who, candidate=obj),
        "interview.unassign": lambda: _("%(who)s took an interviewer off the panel of "
                                        "%(candidate)s", who=who, candidate=obj),
        "interview.rate": lambda: _("%(who)s rated the interview of %(candidate)s",
                                    who=who, candidate=obj),
        "interview.revise": lambda: _("%(who)s changed a submitted interview rating of "
                                      "%(candidate)s", who=who, candidate=obj),
        "outcome.record": lambda: _("%(who)s recorded how %(candidate)s is doing after "
                                    "%(months)s months", who=who, candidate=obj,
                                    months=escape(str(details.get("months", "")))),
        "position.apply_suggested_weights": lambda: _(
            "%(who)s applied the suggested weights to %(position)s", who=who, position=obj),
        "position.apply_observed_costs": lambda: _(
            "%(who)s applied the observed retention and ramp to the costs of %(position)s",
            who=who, position=obj),
        "position.overall_weights": lambda: _(
            "%(who)s changed how test and interview weigh in the overall score of %(position)s",
            who=who, position=obj),
        "explanation.view": lambda: (
            _("%(candidate)s read the explanation of the decision", candidate=obj)
            if details.get("by") == "candidate" else
            _("%(who)s read the explanation of the decision on %(candidate)s",
              who=who, candidate=obj)),
        "contest.open": lambda: _("%(candidate)s contested the decision and asked for a "
                                  "human review", candidate=obj),
        "contest.close": lambda: _("%(who)s answered the contest of %(candidate)s",
                                   who=who, candidate=obj),
    }
    make = texts.get(action)
    # Our own translated sentences, every value in them escaped or built with Markup above.
    if make is None:
        words = _("%(who)s: %(action)s on %(object)s", who=who, action=escape(action),
                  object=obj)
        return Markup(words)  # nosec B704
    words = make()
    return Markup(words)  # nosec B704


def action_label(_: Callable[..., str], action: str) -> str:
    """An action's name in the filter ("Invitations" for ``candidate.invite``)."""
    labels = {
        "candidate.invite": _("Invitations"),
        "candidate.resend": _("Links e-mailed again"),
        "candidate.new_link": _("Links copied again"),
        "candidate.revoke": _("Links revoked"),
        "candidate.erase": _("Erasures"),
        "candidate.export": _("Data exports"),
        "candidate.decision": _("Decisions"),
        "candidate.message": _("Messages to candidates"),
        "position.create": _("Positions created"),
        "position.update": _("Positions changed"),
        "position.status": _("Positions opened or closed"),
        "position.cost_assumptions": _("Cost assumptions changed"),
        "user.create": _("Colleagues added"),
        "user.role": _("Roles changed"),
        "user.activate": _("Accounts reactivated"),
        "user.deactivate": _("Accounts deactivated"),
        "user.password": _("Passwords changed"),
        "user.password_link": _("Password links sent"),
        "organization.retention": _("Retention changed"),
        "organization.time_zone": _("Time zone changed"),
        "organization.messages": _("Message templates changed"),
        "norms.import": _("Norm tables imported"),
        "norms.rebuild": _("Norm tables rebuilt"),
        "webhooks.update": _("Webhook changed"),
        "webhooks.delete": _("Webhook removed"),
        "oversight.settings": _("Fairness and oversight settings changed"),
        "interview.assign": _("Interview panels put together"),
        "interview.unassign": _("Interviewers taken off a panel"),
        "interview.rate": _("Interview ratings"),
        "interview.revise": _("Interview ratings changed"),
        "outcome.record": _("Outcomes after hiring"),
        "position.apply_suggested_weights": _("Suggested weights applied"),
        "position.apply_observed_costs": _("Observed costs applied"),
        "position.overall_weights": _("Test and interview weights changed"),
        "explanation.view": _("Explanations read"),
        "contest.open": _("Contests opened"),
        "contest.close": _("Contests answered"),
    }
    return labels.get(action, action)
