"""Errors raised by the scoring library.

Every argument check raises :class:`ScoringInputError`, a :class:`ValueError` whose message
starts with the name (or field path) of the offending argument, e.g.
``"weights: sum to 0.9, must sum to 1 within 1e-09"`` or ``"experienced.ramp_months: ..."``.
The web app turns it into a 422 with that message.
"""

from __future__ import annotations


class ScoringInputError(ValueError):
    """Bad input to a scoring function.

    Parameters
    ----------
    argument : str
        Name or field path of the argument at fault (``"weights"``, ``"X"``,
        ``"commission_bands[1].share"``).
    problem : str
        What is wrong, in words a person can act on.
    maximum, value : float, optional
        The upper bound a value exceeded and that value, so a caller can word the message
        itself (e.g. in another language).
    """

    def __init__(
        self,
        argument: str,
        problem: str,
        *,
        maximum: float | None = None,
        value: float | None = None,
    ) -> None:
        self.argument = argument
        self.problem = problem
        self.maximum = maximum
        self.value = value
        super().__init__(f"{argument}: {problem}")
