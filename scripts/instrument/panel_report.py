"""How the blind panels keyed bank v2, recomputed from the raw files (docs/instrument.md).

Usage: ``.venv/bin/python -m scripts.instrument.panel_report``

Reads ``questionnaires/panel/`` (the three SJT raters, the blind solver of the keyed items,
the three CEFR raters, the relabelling of options and the verdicts on language items) and
the bank files, and prints: agreement of the SJT panel (unanimity, Fleiss' kappa on the best
and the worst option, two-way ICCs of the 1-4 ratings), the SD rule on the best option, how
the panel's key compares with the authors' ratings, the edits made after the panel, the
blind solver's agreement with the keys, the CEFR panel's agreement and verdicts, and two
checks of transparency (how often the longest option, and a crude keyword rule, find the
best answer, in v1 and in v2).
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from typing import Any

import numpy as np

from questionnaires.loader import BANK_DIR, load_file
from questionnaires.parsing import read_yaml
from questionnaires.schema import Questionnaire, SingleChoiceItem, SjtItem
from questionnaires.timing import count_words
from scoring.agreement import fleiss_kappa, icc_two_way

PANEL = BANK_DIR.parent / "panel"
SJT_FILES = ("business-sense.v2.yaml", "communication.v2.yaml")
KEYED_FILES = ("commercial-knowledge.v2.yaml", "analysis.v2.yaml")
LANGUAGE_FILES = ("english.v2.yaml", "italian.v1.yaml")
#: The "template" of v1's best options (issue 13): ask, check the figures, be open, in writing.
KEYWORDS = re.compile(
    r"\b(ask|check|verify|figures?|data|writing|written|formal(ly)?|analy[sz]e|together|"
    r"propose|plan|openly|confirm)\b", re.IGNORECASE)


def _raters(prefix: str) -> list[dict[str, dict[str, Any]]]:
    return [{row["id"]: row for row in read_yaml(PANEL / f"{prefix}-{n}.yaml")}
            for n in (1, 2, 3)]


def _items(files: tuple[str, ...]) -> list[Any]:
    return [item for name in files
            for _, item in load_file(BANK_DIR / name).questionnaire.iter_items()]


def sjt_panel() -> dict[str, Any]:
    """Agreement of the three SJT raters and how their consensus became the key."""
    raters = _raters("sjt-rater")
    items = [i for i in _items(SJT_FILES) if isinstance(i, SjtItem)]
    ids = sorted(raters[0])
    ratings = np.array([[r[i]["ratings"][o] for r in raters] for i in ids for o in "abcd"])
    letters = "abcd"
    best = [[sum(r[i]["best"] == o for r in raters) for o in letters] for i in ids]
    worst = [[sum(r[i]["worst"] == o for r in raters) for o in letters] for i in ids]
    icc = icc_two_way(ratings)
    bank = {item.id: item for item in items}
    trace = all(
        list(o.panel or ()) == [r[i]["ratings"][o.id] for r in raters]
        and abs(statistics.fmean(o.panel or [0]) - (o.effectiveness or 0)) <= 0.005
        for i in ids for o in bank[i].options
    )
    best_sd = [statistics.stdev(next(o.panel for o in bank[i].options
                                     if o.id == bank[i].keyed_best_worst()[0]))  # type: ignore[index]
               for i in ids]
    edited = [i for i in ids if "Reworded after the panel" in (bank[i].notes or "")]
    author = {}
    for note_item in items:
        match = re.search(r"author's ratings were (.*?)\.", note_item.notes or "")
        if match:
            author[note_item.id] = dict(pair.split() for pair in match[1].split(", "))
    author_best = sum(max(author[i], key=lambda o: int(author[i][o])) ==
                      bank[i].keyed_best_worst()[0] for i in ids)  # type: ignore[index]
    author_worst = sum(min(author[i], key=lambda o: int(author[i][o])) in
                       bank[i].worst_options() for i in ids)
    return {
        "items": len(ids),
        "options": ratings.shape[0],
        "option_unanimity": float(np.mean([len(set(row)) == 1 for row in ratings])),
        "best_unanimous": sum(max(row) == 3 for row in best),
        "worst_unanimous": sum(max(row) == 3 for row in worst),
        "kappa_best": fleiss_kappa(best),
        "kappa_worst": fleiss_kappa(worst),
        "icc2_1": icc.icc2_1,
        "icc2_k": icc.icc2_k,
        "max_sd_best": max(best_sd),
        "sd_over_1": sum(sd > 1 for sd in best_sd),
        "worst_ties": [i for i in ids if len(bank[i].worst_options()) > 1],
        "author_best": author_best,
        "author_worst": author_worst,
        "edited": edited,
        "decisive": {name: sum(i.style == "decisive" for i in _items((name,)))
                     for name in SJT_FILES},
        "traceable": trace,
    }


def _rerate_raters() -> list[dict[str, Any]]:
    return [read_yaml(PANEL / "rerate" / f"rater-{n}.yaml") for n in (4, 5, 6)]


def sjt_rerating() -> dict[str, Any]:
    """The second, independent blind panel on the SJT items reworded after the first one.

    It saw the reworded text (``rerate/packet-sjt.yaml``), no key and no first-panel rating.
    The key stands where this panel picks the same best option with an SD of at most 1 on it.
    """
    raters = [{row["id"]: row for row in r["sjt"]} for r in _rerate_raters()]
    bank = {item.id: item for item in _items(SJT_FILES) if isinstance(item, SjtItem)}
    ids = list(raters[0])
    ratings = np.array([[r[i]["ratings"][o] for r in raters] for i in ids for o in "abcd"])
    best = [[sum(r[i]["best"] == o for r in raters) for o in "abcd"] for i in ids]
    worst = [[sum(r[i]["worst"] == o for r in raters) for o in "abcd"] for i in ids]
    key_best = {i: bank[i].keyed_best_worst()[0] for i in ids}  # type: ignore[index]
    sd_key_best = [statistics.stdev(r[i]["ratings"][key_best[i]] for r in raters) for i in ids]
    worst_differs = [i for i in ids
                     if Counter(r[i]["worst"] for r in raters).most_common(1)[0][0]
                     not in bank[i].worst_options()]
    icc = icc_two_way(ratings)
    return {
        "items": len(ids),
        "reworded_in_bank": sorted(i for i, item in bank.items()
                                   if "Reworded after the panel" in (item.notes or "")),
        "best_is_key": sum(r[i]["best"] == key_best[i] for r in raters for i in ids),
        "worst_in_key": sum(r[i]["worst"] in bank[i].worst_options() for r in raters
                            for i in ids),
        "choices": 3 * len(ids),
        "best_unanimous": sum(max(row) == 3 for row in best),
        "kappa_best": fleiss_kappa(best),
        "kappa_worst": fleiss_kappa(worst),
        "icc2_k": icc.icc2_k,
        "max_sd_key_best": max(sd_key_best),
        "worst_differs": worst_differs,
    }


def _language_verdicts(rows: dict[str, list[dict[str, Any]]], keys: dict[str, str],
                       tags: dict[str, str]) -> dict[str, str]:
    """The first panel's rules, applied to three raters' rows per item: dropped when two or
    more find it solvable below its level, give another defensible answer or miss the key;
    otherwise kept at the panel's median level."""
    order = ("A1", "A2", "B1", "B2", "C1", "C2")
    verdicts = {}
    for item_id, ratings in rows.items():
        median = sorted(order.index(r["level"]) for r in ratings)[1]
        if (sum(bool(r["solvable_below"]) for r in ratings) >= 2
                or sum(bool(r["also_defensible"]) for r in ratings) >= 2
                or sum(r["answer"] != keys[item_id] for r in ratings) >= 2):
            verdicts[item_id] = "fails (solvable below, or not one clear key)"
        elif order[median] == tags[item_id]:
            verdicts[item_id] = f"confirmed {tags[item_id]}"
        else:
            verdicts[item_id] = f"{tags[item_id]} -> {order[median]}"
    return verdicts


def language_rerating() -> dict[str, str]:
    """The second panel on the 7 rewritten language items (provisional levels)."""
    bank = {item.id: item for item in _items(LANGUAGE_FILES)}
    rows: dict[str, list[dict[str, Any]]] = {}
    for rater in _rerate_raters():
        for row in rater["lang"]:
            rows.setdefault(row["id"], []).append(row)
    keys = {i: next(o.id for o in bank[i].options if o.score == 1) for i in rows}  # type: ignore[attr-defined]
    return _language_verdicts(rows, keys, {i: bank[i].cefr for i in rows})


def c1_drafts() -> dict[str, str]:
    """The blind panel on the C1 items drafted for the next versions (not in the bank)."""
    drafts = {item["id"]: item for item in read_yaml(PANEL / "rerate" / "c1-drafts.yaml")}
    rows: dict[str, list[dict[str, Any]]] = {}
    for n in (7, 8, 9):
        for row in read_yaml(PANEL / "rerate" / f"c1-rater-{n}.yaml"):
            rows.setdefault(row["id"], []).append(row)
    keys = {i: next(o["id"] for o in d["options"] if o["score"] == 1) for i, d in drafts.items()}
    return _language_verdicts(rows, keys, {i: d["cefr"] for i, d in drafts.items()})


def blind_solver() -> dict[str, Any]:
    """The blind solver's answers against the keys of the keyed pools."""
    solved = {row["id"]: row for row in read_yaml(PANEL / "blind-solver-keyed.yaml")}
    relabel = read_yaml(PANEL / "relabel.yaml") or {}
    agree, total = 0, 0
    for item in _items(KEYED_FILES):
        answer = solved[item.id]["answer"]
        total += 1
        if isinstance(item, SingleChoiceItem):
            key = next(o.id for o in item.options if o.score == 1)
            agree += relabel.get(item.id, {}).get(answer, answer) == key
        else:
            agree += abs(float(answer) - item.answer) <= item.tolerance + 1e-9  # type: ignore[attr-defined]
    return {"solved": len(solved), "in_bank": total, "agree": agree}


def cefr_panel() -> dict[str, Any]:
    """Agreement of the three CEFR raters, and what became of each language item."""
    raters = _raters("cefr-rater")
    ids = sorted(raters[0])
    verdicts = read_yaml(PANEL / "verdicts.yaml")["language"]
    kinds = Counter(
        "re-tagged" if v.startswith("re-tagged") else v.split(":")[0] for v in verdicts.values()
    )
    bank = {item.id: item for item in _items(LANGUAGE_FILES)}
    # The raters' answers against the keys of the items that kept their text (rewritten items
    # are new items; dropped ones are no longer in the bank).
    kept = [i for i in ids if i in bank and verdicts[i] != "rewritten"]
    keys = {i: next(o.id for o in bank[i].options if o.score == 1) for i in kept}  # type: ignore[attr-defined]
    levels = {lang: Counter(item.cefr for iid, item in bank.items() if iid.startswith(lang))
              for lang in ("en", "it")}
    return {
        "items": len(ids),
        "level_unanimous": sum(len({r[i]["level"] for r in raters}) == 1 for i in ids),
        "answers_agree": sum(r[i]["answer"] == keys[i] for r in raters for i in kept),
        "answers": 3 * len(kept),
        "verdicts": dict(kinds),
        "levels": {lang: dict(sorted(c.items())) for lang, c in levels.items()},
    }


def transparency(questionnaire: Questionnaire) -> dict[str, float]:
    """How often the longest option, or the most keyword-laden one, is the best answer."""
    longest = keyword = n = 0
    for _, item in questionnaire.iter_items():
        if not isinstance(item, SjtItem):
            continue
        if item.best_worst:
            best = item.keyed_best_worst()[0]  # type: ignore[index]
        else:
            best = max(item.options, key=lambda o: o.score or 0).id
        words = {o.id: count_words(o.text.it) + count_words(o.text.en) for o in item.options}
        hits = {o.id: len(KEYWORDS.findall(o.text.en or "")) for o in item.options}
        longest += max(words, key=words.get) == best  # type: ignore[arg-type]
        keyword += max(hits, key=hits.get) == best  # type: ignore[arg-type]
        n += 1
    return {"items": n, "longest": longest / n, "keyword": keyword / n}


def report() -> str:
    """The numbers of docs/instrument.md, as text."""
    sjt = sjt_panel()
    solver = blind_solver()
    lines = [
        "SJT panel (3 blind raters, 1-4 effectiveness of every option, best and worst)",
        f"  items {sjt['items']}, options {sjt['options']}",
        f"  options rated the same by all three: {100 * sjt['option_unanimity']:.1f} %",
        f"  best option unanimous: {sjt['best_unanimous']} of {sjt['items']}; worst "
        f"unanimous: {sjt['worst_unanimous']} of {sjt['items']}",
        f"  Fleiss' kappa, best: {sjt['kappa_best']:.3f}; worst: {sjt['kappa_worst']:.3f}",
        f"  ICC(2,1) of the ratings: {sjt['icc2_1']:.3f}; ICC(2,3) (the mean, i.e. the key): "
        f"{sjt['icc2_k']:.3f}",
        f"  SD of the ratings of the best option: at most {sjt['max_sd_best']:.2f}; items with "
        f"SD > 1: {sjt['sd_over_1']}",
        f"  items with two equally worst options: {', '.join(sjt['worst_ties']) or 'none'}",
        f"  the authors' best = the panel's: {sjt['author_best']} of {sjt['items']}; the "
        f"authors' worst among the panel's worst: {sjt['author_worst']} of {sjt['items']}",
        f"  items reworded after the panel: {len(sjt['edited'])} ({', '.join(sjt['edited'])})",
        f"  best answer firm or decisive: {sjt['decisive']}",
        f"  bank keys = the panel's files (ratings and means, per item): {sjt['traceable']}",
        "",
    ]
    again = sjt_rerating()
    lines += [
        "SJT re-rating (a second blind panel of 3 on the items reworded after the first)",
        f"  items {again['items']} (reworded in the bank: {len(again['reworded_in_bank'])})",
        f"  the rater's best is the key's: {again['best_is_key']} of {again['choices']}; "
        f"best unanimous: {again['best_unanimous']} of {again['items']}",
        f"  the rater's worst is among the key's worst: {again['worst_in_key']} of "
        f"{again['choices']}; items whose majority worst is not the key's: "
        f"{', '.join(again['worst_differs']) or 'none'}",
        f"  Fleiss' kappa, best: {again['kappa_best']:.3f}; worst: {again['kappa_worst']:.3f}; "
        f"ICC(2,3) of the ratings: {again['icc2_k']:.3f}",
        f"  SD of the ratings of the keyed best option: at most {again['max_sd_key_best']:.2f}",
        "",
        "Blind solver of the keyed items",
        f"  items solved {solver['solved']}; in the bank {solver['in_bank']}; the solver's "
        f"answer is the key: {solver['agree']} of {solver['in_bank']}",
        "",
    ]
    cefr = cefr_panel()
    lines += [
        "CEFR panel (3 blind raters: answer, level, solvable below the level, other defensible "
        "answers)",
        f"  items {cefr['items']}; the three levels agree on {cefr['level_unanimous']}; "
        f"the raters' answers are the key in {cefr['answers_agree']} of {cefr['answers']}",
        f"  verdicts: {cefr['verdicts']}",
        f"  items per level in the pools: {cefr['levels']}",
        "",
        "CEFR re-rating (a second blind panel of 3 on the 7 items rewritten after the first)",
        *(f"  {item_id}: {verdict}" for item_id, verdict in language_rerating().items()),
        "",
        "C1 drafts for the next versions (12 new items, a third blind panel of 3)",
        *(f"  {item_id}: {verdict}" for item_id, verdict in c1_drafts().items()),
        "",
        "Transparency of the SJT keys (share of items where the rule finds the best option)",
    ]
    for name in ("business-sense.v1.yaml", "communication.v1.yaml", *SJT_FILES):
        t = transparency(load_file(BANK_DIR / name).questionnaire)
        lines.append(f"  {name}: longest option {100 * t['longest']:.0f} %, keyword rule "
                     f"{100 * t['keyword']:.0f} % (chance 25 %; {t['items']} items)")
    return "\n".join(lines)


def main() -> None:
    """Print the report."""
    print(report())


if __name__ == "__main__":
    main()
