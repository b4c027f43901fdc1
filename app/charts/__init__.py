"""SVG charts drawn by the server for staff pages and the PDF report (SPEC §6).

Pure functions: data in, :class:`markupsafe.Markup` out, ready for ``{{ chart }}`` in a
template. No database, no FastAPI, no JavaScript, no external fonts.

Every chart

* scales to its container (``viewBox`` + ``width="100%"``; give it a ``max-width`` in CSS
  through the ``kam-chart`` class), so it is readable on a phone and on paper;
* carries ``role="img"`` with a ``<title>`` and a ``<desc>`` that states the data in words,
  so a screen-reader user gets the numbers, not "image";
* survives black-and-white printing: each series has its own dash pattern and marker shape
  as well as its colour;
* uses presentation attributes only (no ``style`` attributes, no event handlers), so it also
  renders in WeasyPrint and under a strict Content-Security-Policy.

All text goes through :func:`markupsafe.escape`. Text the pages translate is taken from a
``labels`` mapping (English defaults below); axis and series names arrive already
translated. A missing score is never invented: it is drawn at the centre with a hollow
marker and said to be "not scored".
"""

from app.charts.bars import BARS_LEFT, BARS_RIGHT, score_bars
from app.charts.cash import cash_curves
from app.charts.radar import radar
from app.charts.svg import (
    BAD,
    DEFAULT_LABELS,
    MAX_SERIES,
    PERCENT_SCALE,
    STYLES,
    T_SCALE,
    WHITE,
    BarRow,
    Series,
    SeriesStyle,
)

__all__ = [
    "BAD",
    "BARS_LEFT",
    "BARS_RIGHT",
    "DEFAULT_LABELS",
    "MAX_SERIES",
    "PERCENT_SCALE",
    "STYLES",
    "T_SCALE",
    "WHITE",
    "BarRow",
    "Series",
    "SeriesStyle",
    "cash_curves",
    "radar",
    "score_bars",
]
