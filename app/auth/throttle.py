"""Failed sign-ins slow the guesser down, never lock the owner out.

Failures are kept in ``login_attempt`` (e-mail, address, time) and counted over the window
(``KAM_LOGIN_WINDOW_MINUTES``). Three counts, each with a number of free failures and then a
delay that doubles with every further failure (1 s, 2 s, 4 s, … up to the window), measured
from the last failure of that count:

- this e-mail from this address: ``KAM_LOGIN_MAX_FAILURES`` / 2 free (someone who mistypes
  their own password a few times waits a second or two, then longer);
- this address, whatever the e-mail: ``KAM_LOGIN_MAX_FAILURES`` × 5 free (an office behind
  one address has room; one guesser trying many accounts does not);
- this e-mail from **other** addresses: ``KAM_LOGIN_MAX_FAILURES`` free, and only for an
  address the account has never signed in from. A stranger's guesses slow down every other
  stranger (and a distributed attack) on that account, while the owner, at an address they
  signed in from before, signs in at once with the right password.

While a delay runs, a sign-in is answered 429 with ``Retry-After``, before any password is
checked, and does not count as a failure. A successful sign-in forgets the failures of that
e-mail from that address and remembers the address (``login_address``).
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.auth.models import LoginAddress, LoginAttempt, User
from app.core.clock import utcnow
from app.core.config import Settings
from app.core.db import pk
from app.core.errors import N_, TooManyRequests

#: An address shared by many people (an office NAT) gets more room than one account.
IP_FAILURE_FACTOR = 5
FIRST_DELAY_S = 1.0
TOO_MANY = N_("Too many failed sign-ins. Try again in %(seconds)d second(s).")


def delay(failures: int, *, free: int, cap_s: float) -> float:
    """Seconds to wait after ``failures`` failures of which ``free`` cost nothing: 0, then
    1 s, 2 s, 4 s, … at most ``cap_s``.

    >>> [delay(n, free=3, cap_s=60) for n in (0, 2, 3, 4, 5, 12)]
    [0.0, 0.0, 1.0, 2.0, 4.0, 60]
    """
    if failures < free:
        return 0.0
    return min(cap_s, FIRST_DELAY_S * 2.0 ** min(failures - free, 30))


def known_address(session: Session, *, email: str, ip: str) -> bool:
    """True when an account with this e-mail has signed in from this address before."""
    found = session.exec(
        select(LoginAddress.id)
        .join(User, col(User.id) == LoginAddress.user_id)
        .where(User.email == email, LoginAddress.ip == ip)
        .limit(1)
    ).first()
    return found is not None


def _count(
    session: Session, since: datetime, *conditions: ColumnElement[bool]
) -> tuple[int, datetime | None]:
    count, last = session.exec(
        select(func.count(), func.max(LoginAttempt.created_at)).where(
            col(LoginAttempt.created_at) >= since, *conditions
        )
    ).one()
    return int(count), last


def check(
    session: Session, *, email: str, ip: str, settings: Settings, now: datetime | None = None
) -> None:
    """Raise 429 (with ``Retry-After``) while a delay of this e-mail or address runs."""
    now = now or utcnow()
    window = timedelta(minutes=settings.login_window_minutes)
    since, cap = now - window, window.total_seconds()
    limit = settings.login_max_failures
    counts = [
        (_count(session, since, col(LoginAttempt.email) == email, col(LoginAttempt.ip) == ip),
         max(1, limit // 2)),
        (_count(session, since, col(LoginAttempt.ip) == ip), limit * IP_FAILURE_FACTOR),
    ]
    elsewhere = _count(
        session, since, col(LoginAttempt.email) == email, col(LoginAttempt.ip) != ip)
    if elsewhere[0] >= limit and not known_address(session, email=email, ip=ip):
        counts.append((elsewhere, limit))
    wait = 0.0
    for (failures, last), free in counts:
        if last is not None:
            until = last + timedelta(seconds=delay(failures, free=free, cap_s=cap))
            wait = max(wait, (until - now).total_seconds())
    if wait > 0:
        seconds = max(1, math.ceil(wait))
        raise TooManyRequests(TOO_MANY, params={"seconds": seconds},
                              headers={"Retry-After": str(seconds)})


def failed(session: Session, *, email: str, ip: str, now: datetime | None = None) -> None:
    """Count a failed sign-in (the caller commits, even when answering 401)."""
    session.add(LoginAttempt(email=email, ip=ip, created_at=now or utcnow()))
    session.flush()


def succeeded(session: Session, *, user: User, ip: str, now: datetime | None = None) -> None:
    """Forget this e-mail's failures from this address and remember the address."""
    from sqlalchemy import delete

    now = now or utcnow()
    session.exec(delete(LoginAttempt).where(
        col(LoginAttempt.email) == user.email, col(LoginAttempt.ip) == ip))
    known = session.exec(
        select(LoginAddress).where(LoginAddress.user_id == user.id, LoginAddress.ip == ip)
    ).first()
    if known is not None:
        known.last_at = now
        session.add(known)
        session.flush()
        return
    try:
        with session.begin_nested():  # two sign-ins at once may both add it: one wins
            session.add(LoginAddress(user_id=pk(user), ip=ip[:64], last_at=now))
    except IntegrityError:
        pass
