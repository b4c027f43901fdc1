"""Adverse impact and item bias: selection rates, impact ratios, scoring rates, Mantel–Haenszel DIF.

Adverse impact
--------------
For each group g at one step of the process (knock-outs met, band A or B, advanced, hired)::

    selection rate  SR_g = selected_g / n_g
    impact ratio    IR_g = SR_g / SR_ref          ref = the shown group with the highest rate
    four-fifths     flagged when IR_g < 0.8

(Uniform Guidelines on Employee Selection Procedures, 29 CFR §1607.4(D), 1978.) New York
City's Local Law 144 (rules of the Department of Consumer and Worker Protection, 6 RCNY
§5-300, 2023) adds the **scoring rate** for tools that score rather than select: the share of
a group scoring *above* the median score of the whole pool, and its impact ratio computed the
same way.

* **Unknown.** A person with no answer for an attribute (``None``) is counted in the totals
  and as "unknown", never compared: as in the LL 144 rules, the unknown category is reported
  and left out of the impact ratios.
* **Minimum cell size.** A group with fewer than ``min_cell`` people is counted (in the totals
  and in the number of people in suppressed groups) but not shown: its rate would identify
  people and say nothing reliable. It cannot be the reference group either. When exactly one
  group is suppressed its counts can be worked out from the totals; pages that show totals
  should take care of that (this library only reports what it was given).
* **Intersectional groups** join several attributes ("female × 40 and over"); a person unknown
  on any of them is unknown on the intersection.

P-values (Fisher's exact test, the two-proportion z test) need SciPy and statsmodels, which
``scoring/`` does not import; the web app adds them (``app.fairness.stats``).

Differential item functioning (Mantel–Haenszel)
-----------------------------------------------
For a 0/1-scored item, people are matched on a total score (by default the sum of all items
given, the studied one included, as Holland & Thayer, 1988, recommend). In stratum k, with the
reference group R and the focal group F::

                 right    wrong
    reference     A_k      B_k      n_Rk
    focal         C_k      D_k      n_Fk
                  m_1k     m_0k     T_k

    α_MH     = Σ_k (A_k D_k / T_k) / Σ_k (B_k C_k / T_k)           common odds ratio
    MH D-DIF = −2.35 · ln α_MH                                     ETS delta metric

``α_MH > 1`` (a negative D-DIF) means the item is harder for the focal group than for
reference-group members of the same total score (Holland & Thayer, 1988, in Wainer & Braun
(eds.), *Test Validity*, 129–145). The standard error of ln α_MH is the Robins, Breslow &
Greenland (1986, *Biometrics* 42, 311–323) estimator, which Phillips & Holland (1987,
*J. Educational Statistics* 12, 137–144) derived independently for DIF; with
``P_k = (A_k + D_k)/T_k``, ``Q_k = (B_k + C_k)/T_k``, ``R_k = A_k D_k / T_k``,
``S_k = B_k C_k / T_k``::

    Var(ln α_MH) = Σ P_k R_k / (2 (Σ R_k)²) + Σ (P_k S_k + Q_k R_k) / (2 Σ R_k Σ S_k)
                   + Σ Q_k S_k / (2 (Σ S_k)²)
    SE(MH D-DIF) = 2.35 · √Var(ln α_MH)

The Mantel–Haenszel chi-square with continuity correction (1 df; Mantel & Haenszel, 1959,
*J. National Cancer Institute* 22, 719–748)::

    χ²_MH = (max(0, |Σ A_k − Σ E(A_k)| − ½))² / Σ Var(A_k)
    E(A_k) = n_Rk m_1k / T_k,   Var(A_k) = n_Rk n_Fk m_1k m_0k / (T_k² (T_k − 1))

Its p-value is exact through the normal distribution (``P(χ²₁ > x) = erfc(√(x/2))``), so it
needs no SciPy. The correction is floored at 0 (the usual reading of Yates's ½; statsmodels'
``StratifiedTable.test_null_odds`` squares a negative difference instead, which matters only
when ``|Σ A − Σ E| < ½``). Strata with fewer than two people, or without both groups, carry no
information and contribute nothing to any sum; they are left out.

ETS classification (Dorans & Holland, 1993, in Holland & Wainer (eds.), *Differential Item
Functioning*, p. 42; restated in Zwick, 2012, ETS RR-12-08, pp. 3–4), each test at the 5 %
level:

* **A** (negligible): χ²_MH not significant (p ≥ .05), or ``|D| < 1``;
* **C** (large): ``|D| ≥ 1.5`` and ``|D|`` significantly greater than 1, i.e.
  ``(|D| − 1) / SE(D) > z_.95 = 1.6449`` (one-sided);
* **B** (moderate): every other item.

The sign of D gives the direction: negative disadvantages the focal group ("B−", "C−").
The procedure is for items scored 0/1; score polytomous items (SJT 0–3, Likert) 1 for the
keyed-best answer first, or use a polytomous DIF method.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any

import numpy as np

from scoring.checks import as_float_array, check_number
from scoring.errors import ScoringInputError
from scoring.serialization import jsonable_dict

#: Impact ratio below which a group is flagged (the four-fifths rule).
FOUR_FIFTHS = 0.8
#: Default minimum cell size: groups smaller than this are counted but not shown.
MIN_CELL = 5
#: The ETS delta metric: D = −2.35 ln α (Holland & Thayer, 1988).
DELTA_SCALE = 2.35
#: Significance level of the ETS A/B/C rules.
ETS_ALPHA = 0.05
#: Separator of the labels of intersectional groups.
INTERSECTION = " × "


# --------------------------------------------------------------------------- adverse impact


@dataclass(frozen=True)
class GroupRate:
    """Selection rate of one shown group and its comparison with the reference group."""

    group: str
    n: int
    selected: int
    rate: float
    impact_ratio: float | None
    four_fifths_flag: bool | None
    is_reference: bool

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return jsonable_dict(
            {
                "group": self.group,
                "n": self.n,
                "selected": self.selected,
                "rate": self.rate,
                "impact_ratio": self.impact_ratio,
                "four_fifths_flag": self.four_fifths_flag,
                "is_reference": self.is_reference,
            }
        )


@dataclass(frozen=True)
class ImpactReport:
    """Selection (or scoring) rates of every group at one step.

    ``groups`` holds the shown groups (at least ``min_cell`` people), sorted by label;
    suppressed groups are only counted. ``reference`` is ``None`` when no group can serve
    (none shown, or nobody in a shown group was selected: every ratio would be 0/0).
    """

    groups: tuple[GroupRate, ...]
    reference: str | None
    min_cell: int
    total_n: int
    total_selected: int
    unknown_n: int
    unknown_selected: int
    suppressed_groups: int
    suppressed_n: int

    def group(self, label: str) -> GroupRate:
        """The shown group called ``label`` (``KeyError`` when absent or suppressed)."""
        for rate in self.groups:
            if rate.group == label:
                return rate
        raise KeyError(label)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return jsonable_dict(
            {
                "groups": [g.to_dict() for g in self.groups],
                "reference": self.reference,
                "min_cell": self.min_cell,
                "total_n": self.total_n,
                "total_selected": self.total_selected,
                "unknown_n": self.unknown_n,
                "unknown_selected": self.unknown_selected,
                "suppressed_groups": self.suppressed_groups,
                "suppressed_n": self.suppressed_n,
            }
        )


@dataclass(frozen=True)
class ScoringRateReport:
    """Local Law 144 scoring rates: the share of each group above the pool's median score."""

    median: float
    rates: ImpactReport

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return jsonable_dict({"median": self.median, **self.rates.to_dict()})


def _labels(name: str, groups: Sequence[Hashable | None], n: int) -> list[str | None]:
    values = list(groups)
    if len(values) != n:
        raise ScoringInputError(name, f"has {len(values)} entries but there are {n} people")
    labels: list[str | None] = []
    for value in values:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            labels.append(None)
        else:
            labels.append(str(value))
    return labels


def _check_min_cell(min_cell: Any) -> int:
    return int(check_number("min_cell", min_cell, minimum=1, integer=True))


def selection_rates(
    selected: Any, groups: Sequence[Hashable | None], *, min_cell: int = MIN_CELL
) -> ImpactReport:
    """Selection rate, impact ratio and four-fifths flag of every group at one step.

    Parameters
    ----------
    selected : array_like of bool, shape (n_people,)
        Whether each person passed the step.
    groups : sequence, shape (n_people,)
        Each person's group label; ``None`` (or NaN) is "unknown": counted, never compared.
    min_cell : int
        Groups with fewer people are counted but not shown and cannot be the reference.

    Returns
    -------
    ImpactReport
        ``rate = selected / n`` per shown group; ``impact_ratio = rate / rate_ref`` where the
        reference is the shown group with the highest rate (ties: the larger group, then the
        label); ``four_fifths_flag = impact_ratio < 0.8`` (29 CFR §1607.4(D)). Ratios and
        flags are ``None`` when the reference rate is 0.

    Examples
    --------
    48 of 80 men selected (60 %) and 12 of 40 women (30 %): 30/60 = 0.5 < 0.8.

    >>> report = selection_rates([True] * 48 + [False] * 32 + [True] * 12 + [False] * 28,
    ...                          ["men"] * 80 + ["women"] * 40)
    >>> women = report.group("women")
    >>> report.reference, women.rate, women.impact_ratio, women.four_fifths_flag
    ('men', 0.3, 0.5, True)
    """
    chosen = np.asarray(selected)
    if chosen.ndim != 1:
        raise ScoringInputError("selected", f"must be 1-dimensional, got shape {chosen.shape}")
    if chosen.dtype != bool:
        if not np.isin(chosen, (0, 1)).all():
            raise ScoringInputError("selected", "must hold only True/False (or 1/0)")
        chosen = chosen.astype(bool)
    labels = _labels("groups", groups, chosen.shape[0])
    min_cell = _check_min_cell(min_cell)

    counts: dict[str | None, list[int]] = {}
    for label, passed in zip(labels, chosen.tolist(), strict=True):
        cell = counts.setdefault(label, [0, 0])
        cell[0] += 1
        cell[1] += int(passed)
    unknown_n, unknown_selected = counts.pop(None, [0, 0])
    shown = {g: c for g, c in counts.items() if g is not None and c[0] >= min_cell}
    suppressed = [c for g, c in counts.items() if g is not None and c[0] < min_cell]

    reference: str | None = None
    if shown:
        reference = max(shown, key=lambda g: (shown[g][1] / shown[g][0], shown[g][0], g))
        if shown[reference][1] == 0:
            reference = None
    rates = []
    for label in sorted(shown):
        n, passed = shown[label]
        ratio = flag = None
        if reference is not None:
            n_ref, passed_ref = shown[reference]
            # From the counts in one division, and the flag in whole numbers: 12/25 against
            # 3/5 is exactly 0.8 (not flagged), where 0.48 / 0.6 in floating point is not.
            ratio = (passed * n_ref) / (n * passed_ref)
            flag = 5 * passed * n_ref < 4 * n * passed_ref
        rates.append(
            GroupRate(
                group=label,
                n=n,
                selected=passed,
                rate=passed / n,
                impact_ratio=ratio,
                four_fifths_flag=flag,
                is_reference=label == reference,
            )
        )
    return ImpactReport(
        groups=tuple(rates),
        reference=reference,
        min_cell=min_cell,
        total_n=int(chosen.shape[0]),
        total_selected=int(chosen.sum()),
        unknown_n=unknown_n,
        unknown_selected=unknown_selected,
        suppressed_groups=len(suppressed),
        suppressed_n=sum(c[0] for c in suppressed),
    )


def scoring_rates(
    scores: Any, groups: Sequence[Hashable | None], *, min_cell: int = MIN_CELL
) -> ScoringRateReport:
    """Local Law 144 scoring rates: the share of each group scoring above the pool's median.

    The median is taken over every score given (unknown and suppressed groups included);
    "above" is strict, so people exactly at the median do not count (6 RCNY §5-300,
    definition of "scoring rate"). Impact ratios and flags then follow
    :func:`selection_rates`.

    >>> report = scoring_rates([1, 2, 3, 4, 5, 6, 7, 8], ["a"] * 4 + ["b"] * 4, min_cell=1)
    >>> report.median, report.rates.group("a").rate, report.rates.group("b").rate
    (4.5, 0.0, 1.0)
    """
    values = as_float_array("scores", scores, ndim=1, allow_nan=False)
    if values.size == 0:
        raise ScoringInputError("scores", "needs at least one score")
    median = float(np.median(values))
    return ScoringRateReport(
        median=median, rates=selection_rates(values > median, groups, min_cell=min_cell)
    )


def intersectional_groups(attributes: Mapping[str, Sequence[Hashable | None]]) -> list[str | None]:
    """Labels of the intersection of several attributes, person by person.

    Each label joins the attributes' values in the mapping's order with " × "; a person
    unknown (``None``) on any attribute is unknown on the intersection.

    >>> intersectional_groups({"gender": ["f", "m", None], "age": ["40+", "<40", "<40"]})
    ['f × 40+', 'm × <40', None]
    """
    if not attributes:
        raise ScoringInputError("attributes", "needs at least one attribute")
    columns = {name: list(values) for name, values in attributes.items()}
    lengths = {len(values) for values in columns.values()}
    if len(lengths) != 1:
        sizes = ", ".join(f"{name}: {len(v)}" for name, v in columns.items())
        raise ScoringInputError("attributes", f"must all have one entry per person ({sizes})")
    n = lengths.pop()
    labelled = [_labels(f"attributes[{name!r}]", v, n) for name, v in columns.items()]
    result: list[str | None] = []
    for parts in zip(*labelled, strict=True):
        known = [part for part in parts if part is not None]
        result.append(INTERSECTION.join(known) if len(known) == len(parts) else None)
    return result


# --------------------------------------------------------------------------- Mantel–Haenszel DIF


@dataclass(frozen=True)
class ItemDif:
    """Mantel–Haenszel DIF statistics and ETS category of one item."""

    item: str
    n_reference: int
    n_focal: int
    strata: int
    alpha_mh: float | None
    d_dif: float | None
    se_d_dif: float | None
    chi_square: float | None
    p_value: float | None
    category: str | None
    favours: str | None

    @property
    def label(self) -> str | None:
        """ETS label with direction: "A", "B−"/"B+", "C−"/"C+" (− disadvantages the focal group)."""
        if self.category is None or self.category == "A" or self.favours is None:
            return self.category
        return self.category + ("−" if self.favours == "reference" else "+")

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return jsonable_dict(
            {
                "item": self.item,
                "n_reference": self.n_reference,
                "n_focal": self.n_focal,
                "strata": self.strata,
                "alpha_mh": self.alpha_mh,
                "d_dif": self.d_dif,
                "se_d_dif": self.se_d_dif,
                "chi_square": self.chi_square,
                "p_value": self.p_value,
                "category": self.category,
                "label": self.label,
                "favours": self.favours,
            }
        )


def chi_square_1df_p_value(statistic: Any) -> np.ndarray | float:
    """Upper-tail p-value of a chi-square on 1 df: ``P(χ²₁ > x) = erfc(√(x / 2))``.

    Exact: a χ²₁ variable is the square of a standard normal (Abramowitz & Stegun, 1964,
    26.4.4 with 7.1.2). Vectorised; NaN stays NaN.

    >>> round(chi_square_1df_p_value(3.841458820694124), 12)
    0.05
    """
    x = as_float_array("statistic", statistic)
    if np.any(x < 0):
        raise ScoringInputError("statistic", "must be ≥ 0")
    result = np.vectorize(lambda v: math.erfc(math.sqrt(v / 2.0)) if v == v else math.nan)(x)
    return float(result) if result.ndim == 0 else result.astype(float)


def ets_category(d_dif: float | None, se_d_dif: float | None, p_value: float | None) -> str | None:
    """ETS A/B/C category from MH D-DIF, its standard error and the χ²_MH p-value.

    A: ``p ≥ .05`` or ``|D| < 1``; C: ``|D| ≥ 1.5`` and ``(|D| − 1) / SE > z_.95 = 1.6449``;
    B otherwise (Dorans & Holland, 1993, p. 42; Zwick, 2012, ETS RR-12-08). ``None`` when D
    is undefined (an item everyone in a stratum got right or wrong, for instance).

    >>> [ets_category(d, 0.3, 0.001) for d in (-0.8, -1.2, -2.0, 2.0)]
    ['A', 'B', 'C', 'C']
    >>> ets_category(-2.0, 0.3, 0.2)         # large but not significant
    'A'
    >>> ets_category(-1.6, 0.5, 0.003)       # |D| ≥ 1.5 but (1.6 − 1)/0.5 = 1.2 ≤ 1.645
    'B'
    """
    if d_dif is None or p_value is None or not math.isfinite(d_dif):
        return None
    size = abs(d_dif)
    if p_value >= ETS_ALPHA or size < 1.0:
        return "A"
    z_one_sided = NormalDist().inv_cdf(1.0 - ETS_ALPHA)
    if (
        size >= 1.5
        and se_d_dif is not None
        and se_d_dif > 0
        and (size - 1.0) / se_d_dif > z_one_sided
    ):
        return "C"
    return "B"


def mantel_haenszel_dif(
    responses: Any,
    groups: Sequence[Hashable | None],
    *,
    reference: Hashable,
    focal: Hashable,
    matching: Any = None,
    item_ids: Sequence[str] | None = None,
) -> tuple[ItemDif, ...]:
    """Mantel–Haenszel DIF of every item, reference vs focal group, over total-score strata.

    Parameters
    ----------
    responses : array_like, shape (n_people, n_items)
        Item scores, 0 or 1 (no missing values: score an omitted item 0 or drop the person).
    groups : sequence, shape (n_people,)
        Each person's group; people in neither ``reference`` nor ``focal`` are left out.
    reference, focal : hashable
        The two groups compared (compared as strings, like the labels of
        :func:`selection_rates`).
    matching : array_like, shape (n_people,), optional
        The matching score defining the strata; by default the total of ``responses`` over
        all items, the studied item included (Holland & Thayer, 1988).
    item_ids : sequence of str, optional
        Names of the items (default ``"0"``, ``"1"``, ...).

    Returns
    -------
    tuple of ItemDif
        Per item: α_MH, MH D-DIF, its SE, χ²_MH (continuity-corrected), its p-value and the
        ETS category (formulas in the module docstring). Statistics that are 0/0 (no
        informative stratum; an item everyone in the informative strata got right) are
        ``None``.

    Examples
    --------
    One item, two strata; stratum 1: reference 8 right / 2 wrong, focal 5 / 5; stratum 2:
    reference 9 / 1, focal 7 / 3. α_MH = (8·5/20 + 9·3/20) / (2·5/20 + 1·7/20) = 67/17:

    >>> item = [1] * 8 + [0] * 2 + [1] * 5 + [0] * 5 + [1] * 9 + [0] * 1 + [1] * 7 + [0] * 3
    >>> group = (["R"] * 10 + ["F"] * 10) * 2
    >>> stratum = [0] * 20 + [1] * 20
    >>> (dif,) = mantel_haenszel_dif([[x] for x in item], group, reference="R", focal="F",
    ...                              matching=stratum)
    >>> round(dif.alpha_mh, 6), round(dif.d_dif, 4), dif.favours
    (3.941176, -3.223, 'reference')
    """
    data = as_float_array("responses", responses, ndim=2, allow_nan=False)
    if not np.isin(data, (0.0, 1.0)).all():
        raise ScoringInputError("responses", "must hold item scores 0 or 1 only")
    n_people, n_items = data.shape
    labels = _labels("groups", groups, n_people)
    reference_label, focal_label = str(reference), str(focal)
    if reference_label == focal_label:
        raise ScoringInputError("focal", "must differ from reference")
    if item_ids is None:
        ids = [str(j) for j in range(n_items)]
    else:
        ids = [str(i) for i in item_ids]
        if len(ids) != n_items:
            raise ScoringInputError("item_ids", f"has {len(ids)} names for {n_items} items")
    if matching is None:
        score = data.sum(axis=1)
    else:
        score = as_float_array("matching", matching, ndim=1, allow_nan=False)
        if score.shape[0] != n_people:
            raise ScoringInputError(
                "matching", f"has {score.shape[0]} entries but there are {n_people} people"
            )

    is_ref = np.array([label == reference_label for label in labels])
    is_foc = np.array([label == focal_label for label in labels])
    for name, mask, label in (
        ("reference", is_ref, reference_label),
        ("focal", is_foc, focal_label),
    ):
        if not mask.any():
            raise ScoringInputError(name, f"nobody is in group {label!r}")
    keep = is_ref | is_foc
    data, score, is_ref = data[keep], score[keep], is_ref[keep]

    # One column per stratum; counts for every item at once are then matrix products.
    levels, stratum = np.unique(score, return_inverse=True)
    onehot = np.zeros((data.shape[0], levels.size))
    onehot[np.arange(data.shape[0]), stratum] = 1.0
    ref_rows, foc_rows = onehot[is_ref], onehot[~is_ref]
    n_ref = ref_rows.sum(axis=0)  # per stratum
    n_foc = foc_rows.sum(axis=0)
    a = data[is_ref].T @ ref_rows  # items × strata: reference right
    c = data[~is_ref].T @ foc_rows  # focal right
    b = n_ref - a
    d = n_foc - c
    total = n_ref + n_foc
    informative = (n_ref > 0) & (n_foc > 0) & (total >= 2)
    a, b, c, d = a[:, informative], b[:, informative], c[:, informative], d[:, informative]
    t = total[informative]

    results = []
    for j in range(n_items):
        results.append(
            _item_dif(
                ids[j],
                a[j],
                b[j],
                c[j],
                d[j],
                t,
                n_reference=int(is_ref.sum()),
                n_focal=int((~is_ref).sum()),
            )
        )
    return tuple(results)


def _item_dif(
    item: str,
    a: np.ndarray,
    b: np.ndarray,
    c: np.ndarray,
    d: np.ndarray,
    t: np.ndarray,
    *,
    n_reference: int,
    n_focal: int,
) -> ItemDif:
    r = a * d / t
    s = b * c / t
    sum_r, sum_s = float(r.sum()), float(s.sum())
    m1, m0 = a + c, b + d
    expected = (a + b) * m1 / t
    variance = float(((a + b) * (c + d) * m1 * m0 / (t**2 * (t - 1.0))).sum())

    chi_square = p_value = None
    if variance > 0:
        excess = max(0.0, abs(float((a - expected).sum())) - 0.5)
        chi_square = excess**2 / variance
        p_value = float(chi_square_1df_p_value(chi_square))

    alpha = d_dif = se = None
    if sum_r > 0 and sum_s > 0:
        alpha = sum_r / sum_s
        d_dif = -DELTA_SCALE * math.log(alpha)
        p_k, q_k = (a + d) / t, (b + c) / t
        var_log = (
            float((p_k * r).sum()) / (2.0 * sum_r**2)
            + float((p_k * s + q_k * r).sum()) / (2.0 * sum_r * sum_s)
            + float((q_k * s).sum()) / (2.0 * sum_s**2)
        )
        se = DELTA_SCALE * math.sqrt(var_log)
    category = ets_category(d_dif, se, p_value)
    favours = None
    if d_dif is not None and d_dif != 0:
        favours = "reference" if d_dif < 0 else "focal"
    return ItemDif(
        item=item,
        n_reference=n_reference,
        n_focal=n_focal,
        strata=int(t.size),
        alpha_mh=alpha,
        d_dif=d_dif,
        se_d_dif=se,
        chi_square=chi_square,
        p_value=p_value,
        category=category,
        favours=favours,
    )
