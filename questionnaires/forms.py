"""Forms: the items each candidate gets from a section's pool (pure Python, deterministic).

A format-2 section holds a pool of items; a candidate gets a form of ``form_length`` of them.
Every form has the same composition (its *blueprint*): the pool is split into strata and each
stratum gives the same number of items to every form, in proportion to its size (largest
remainders; ties go to the larger stratum, then to the stratum named first). So forms have
equal length and balanced difficulty by construction, and the time rule can be checked on the
longest form the blueprint allows (``questionnaires.timing``).

Strata:

* ability items (SJT, keyed, numeric): difficulty x working-time class, so every form has
  the same mix of easy, medium and hard items and of calculations;
* Likert items: facet x keying, so every form keeps the balance of reverse-keyed items and
  spans the facets;
* language sections: the hurdle's blueprint gives the items per CEFR level
  (``form_by_hurdle``); within a level, the skills (grammar, vocabulary, reading, function)
  share the level's items in proportion.

Checks that are never scored (``purpose``, e.g. the impression-management items) are on every
form. Enemies are never on the same form: drawing skips an item whose enemy is already drawn
and, if a stratum runs short, takes the missing items from the rest of the pool (same CEFR
level first). The draw is a function of the seed, so a stored form can always be checked
against the seed, and the app stores each form on the attempt anyway.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass

from questionnaires.schema import Item, Section
from questionnaires.timing import work_kind
from scoring.vocabulary import CEFR_LEVELS, CefrLevel

#: The blueprint used for a language section when the position sets no hurdle.
DEFAULT_HURDLE = "B2"


@dataclass(frozen=True, slots=True)
class Stratum:
    """A part of a pool and how many of its items every form takes."""

    key: tuple[Hashable, ...]
    items: tuple[Item, ...]
    count: int


def scored_items(section: Section) -> list[Item]:
    """The section's scored items (its pool without checks)."""
    return [item for item in section.items if item.scored]


def checks(section: Section) -> list[Item]:
    """Items every form carries that are never scored (e.g. impression management)."""
    return [item for item in section.items if not item.scored]


def stratum_key(item: Item) -> tuple[str, ...]:
    """The stratum of an item: facet and keying for Likert, else difficulty and work class."""
    if item.type == "likert":
        return (item.facet or "", "reverse" if getattr(item, "reverse", False) else "forward")
    return (item.difficulty or "", work_kind(item))


def allocate(sizes: dict[tuple[Hashable, ...], int], total: int) -> dict[tuple[Hashable, ...], int]:
    """Split ``total`` over strata in proportion to their sizes (largest remainders).

    >>> allocate({("easy",): 9, ("medium",): 9, ("hard",): 8}, 8)
    {('easy',): 3, ('medium',): 3, ('hard',): 2}
    """
    pool = sum(sizes.values())
    if total > pool:
        raise ValueError(f"a form of {total} items cannot be drawn from a pool of {pool}")
    exact = {key: total * size / pool for key, size in sizes.items()}
    counts = {key: int(value) for key, value in exact.items()}
    order = list(sizes)
    # Largest remainder first; ties to the larger stratum, then to the one named first.
    ranked = sorted(order, key=lambda k: (-(exact[k] - counts[k]), -sizes[k], order.index(k)))
    for key in ranked[: total - sum(counts.values())]:
        counts[key] += 1
    return counts


def _group(items: Sequence[Item], key: Callable[[Item], tuple[Hashable, ...]]
           ) -> dict[tuple[Hashable, ...], list[Item]]:
    groups: dict[tuple[Hashable, ...], list[Item]] = {}
    for item in items:
        groups.setdefault(key(item), []).append(item)
    return groups


def blueprint(section: Section, *, hurdle: str | None = None) -> list[Stratum]:
    """The strata of a section's scored pool and the items every form takes from each."""
    pool = scored_items(section)
    if section.form_by_hurdle:
        # Ignored: hurdle is a CEFR level or None, mapped to DEFAULT_HURDLE.
        level_counts = section.form_by_hurdle.get(hurdle or DEFAULT_HURDLE)  # type: ignore[call-overload]
        if level_counts is None:
            level_counts = section.form_by_hurdle[min(section.form_by_hurdle)]
        strata = []
        for level in CEFR_LEVELS:
            count = level_counts.get(level, 0)
            if not count:
                continue
            groups = _group([i for i in pool if i.cefr == level], lambda i: (i.cefr, i.skill or ""))
            shares = allocate({key: len(items) for key, items in groups.items()}, count)
            strata += [Stratum(key, tuple(groups[key]), shares[key]) for key in groups]
        return strata
    total = section.form_length or len(pool)
    groups = _group(pool, stratum_key)
    shares = allocate({key: len(items) for key, items in groups.items()}, total)
    return [Stratum(key, tuple(groups[key]), shares[key]) for key in groups]


def _enemy_map(section: Section) -> dict[str, set[str]]:
    enemies: dict[str, set[str]] = {}
    for item in section.items:
        for other in item.enemies:
            enemies.setdefault(item.id, set()).add(other)
            enemies.setdefault(other, set()).add(item.id)
    return enemies


def draw_form(section: Section, *, seed: int | str, hurdle: str | None = None) -> tuple[str, ...]:
    """The ids of one candidate's form, in pool order (the page shuffles its own order).

    >>> from questionnaires.loader import BANK_DIR, load_file
    >>> section = load_file(BANK_DIR / "business-sense.v2.yaml").questionnaire.sections[0]
    >>> form = draw_form(section, seed=7)
    >>> len(form) == section.form_length, form == draw_form(section, seed=7)
    (True, True)
    """
    rng = random.Random(f"{seed}:{section.key}:form")
    enemies = _enemy_map(section)
    chosen: list[str] = []
    banned: set[str] = set()

    def take(item: Item) -> None:
        chosen.append(item.id)
        banned.add(item.id)
        banned.update(enemies.get(item.id, ()))

    short: list[Stratum] = []
    # The most constrained strata choose first (a hurdle level that takes its whole pool),
    # so an enemy drawn elsewhere never leaves them short.
    strata = sorted(blueprint(section, hurdle=hurdle),
                    key=lambda s: -s.count / max(1, len(s.items)))
    for stratum in strata:
        candidates = list(stratum.items)
        rng.shuffle(candidates)
        taken = 0
        for item in candidates:
            if taken == stratum.count:
                break
            if item.id not in banned:
                take(item)
                taken += 1
        if taken < stratum.count:
            short.append(Stratum(stratum.key, stratum.items, stratum.count - taken))
    for stratum in short:  # enemies emptied a stratum: fill from the same level, then anywhere
        level = stratum.items[0].cefr
        rest = [i for i in scored_items(section) if i.id not in banned]
        rng.shuffle(rest)
        rest.sort(key=lambda i: i.cefr != level)
        for item in rest[: stratum.count]:
            if item.id not in banned:
                take(item)
    picked = set(chosen) | {item.id for item in checks(section)}
    return tuple(item.id for item in section.items if item.id in picked)


def longest_form(section: Section, seconds: Callable[[Item], float]) -> list[Item]:
    """The form with the most ``seconds`` a blueprint allows (every hurdle for language)."""
    hurdles: list[CefrLevel | None] = list(section.form_by_hurdle or [None])
    forms = []
    for hurdle in hurdles:
        form = list(checks(section))
        for stratum in blueprint(section, hurdle=hurdle):
            form += sorted(stratum.items, key=seconds, reverse=True)[: stratum.count]
        forms.append(form)
    return max(forms, key=lambda form: sum(map(seconds, form)))
