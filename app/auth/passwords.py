"""Which passwords staff may choose (NIST SP 800-63B, 5.1.1.2 memorized secrets).

A password is refused, with the reason, when it is shorter than 12 characters, is one
character repeated, appears in a list of common and breached passwords, or is easy to guess
anyway: a common password with small changes, a keyboard or alphabet sequence, a repeated
pattern, or the person's own e-mail. The list and the estimate come from zxcvbn (its 30,000
most common passwords from breach corpora, shipped with the package, nothing downloaded);
no composition rules (digits, symbols) are imposed, as 800-63B advises. Up to 200
characters are accepted; only the first 100 are estimated (the estimate's cost grows with
length, and a longer password is long enough).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

from zxcvbn import zxcvbn
from zxcvbn.frequency_lists import FREQUENCY_LISTS

MIN_LENGTH = 12
MAX_LENGTH = 200
#: zxcvbn scores 0–4; 0 and 1 are guessed in under a million tries.
MIN_SCORE = 2
_ESTIMATED_CHARS = 100


def N_(message: str) -> str:
    """Mark a message for translation; it is translated where it is shown."""
    return message


TOO_SHORT = N_("Use at least %(min)s characters: length is what makes a password hard to guess.")
TOO_LONG = N_("Use at most %(max)s characters.")
ONE_CHARACTER = N_("Use more than one character: a single character repeated is guessed at once.")
COMMON = N_(
    "This password is on a list of common and breached passwords that attackers try first; "
    "choose another."
)
PATTERNS = {
    "repeat": N_("It repeats a short pattern, which is easy to guess; choose another."),
    "sequence": N_("It follows a sequence such as abcd or 1234, which is easy to guess."),
    "spatial": N_("It follows a keyboard pattern such as qwerty, which is easy to guess."),
    "dictionary": N_(
        "It is a common password or word with small changes, which is easy to guess."
    ),
    "date": N_("It is mostly a date, which is easy to guess."),
    "own": N_("It contains your e-mail address or name; choose something else."),
}
WEAK = N_("It is too easy to guess; a few unrelated words make a strong password.")


@lru_cache(maxsize=1)
def _common() -> frozenset[str]:
    return frozenset(FREQUENCY_LISTS["passwords"])


def problem(password: str, *, context: tuple[str, ...] = ()) -> tuple[str, dict[str, int]] | None:
    """Why ``password`` may not be used, as an untranslated message and its parameters, or
    None. ``context`` holds words of the account (e-mail, name) a password must not be."""
    if len(password) < MIN_LENGTH:
        return TOO_SHORT, {"min": MIN_LENGTH}
    if len(password) > MAX_LENGTH:
        return TOO_LONG, {"max": MAX_LENGTH}
    if len(set(password)) == 1:
        return ONE_CHARACTER, {}
    if password.lower() in _common():
        return COMMON, {}
    words = [part for word in context for part in _words(word)]
    lowered = password.lower()
    whole = {text.lower() for text in context} | {
        text.lower().partition("@")[0] for text in context if "@" in text}
    if any(len(word) >= 4 and word in lowered for word in whole):
        return PATTERNS["own"], {}  # the whole address or name, or all before the @
    estimate = zxcvbn(password[:_ESTIMATED_CHARS], user_inputs=words)
    if estimate["score"] >= MIN_SCORE:
        return None
    # Name the pattern that covers most of the password.
    for match in sorted(estimate["sequence"], key=lambda m: -len(m.get("token", ""))):
        if match.get("dictionary_name") == "user_inputs":
            return PATTERNS["own"], {}
        if match["pattern"] in PATTERNS:
            return PATTERNS[match["pattern"]], {}
    return WEAK, {}


def _words(text: str) -> list[str]:
    """``mario.rossi@acme.it`` → the address and the words of its name and domain."""
    parts = [text.lower()]
    local, _at, domain = text.lower().partition("@")
    parts += [word for word in (local, *local.replace("_", ".").replace("-", ".").split("."),
                                domain.split(".")[0]) if len(word) >= 3]
    return parts


def message(password: str, *, context: tuple[str, ...] = (),
            translate: Callable[[str], str] | None = None) -> str | None:
    """The reason ``password`` is refused, in the reader's language, or None."""
    found = problem(password, context=context)
    if found is None:
        return None
    text, params = found
    text = translate(text) if translate is not None else text
    return text % params if params else text
