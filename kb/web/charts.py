"""Bar charts drawn on the server as SVG: no script, a title and a description that screen
readers announce (role="img", aria-labelledby), text escaped, and the same numbers in a table
beside each chart. Our own small module rather than a charting library: a dashboard needs
grouped bars by month, and this keeps every attribute that makes them accessible in our hands.
"""

from __future__ import annotations

import calendar
import math
from datetime import date
from html import escape

from markupsafe import Markup

from kb.readmodels.figure import Figure

#: in SVG units; the chart scales to its column (a phone shows it at about 0.85, text ~10 px)
WIDTH, PLOT_HEIGHT = 420, 150
LEFT, RIGHT, TOP = 36, 6, 10
#: below the plot: the month labels, then one legend line per series
MONTHS_ROW, LEGEND_LINE = 22, 17
#: series colours, distinguishable with the common colour blindnesses (Okabe-Ito)
COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7")


def nice_ceiling(value: float) -> float:
    """The axis top: 1, 2 or 5 times a power of ten, at least `value` (1 for nothing)."""
    if value <= 0:
        return 1
    power = 10 ** math.floor(math.log10(value))
    return next(step * power for step in (1, 2, 5, 10) if step * power >= value)


def number(value: float | None, missing: str = "no value") -> str:
    """12,345 or 12.5 (a share, a median); `missing` for nothing measured."""
    if value is None:
        return missing
    return f"{int(value):,}" if float(value).is_integer() else f"{value:,.1f}"


def describe(figure: Figure) -> str:
    """The text alternative: what is drawn, then every value."""
    parts = [figure.description]
    for i, s in enumerate(figure.series):
        values = ", ".join(
            f"{m} {number(row[i])}" for m, row in zip(figure.months, figure.values, strict=True)
        )
        parts.append(f"{s.label} by month: {values}.")
    return " ".join(parts)


def month_label(month: str) -> str:
    """2026-03 -> Mar 26."""
    return f"{calendar.month_abbr[int(month[5:])]} {month[2:4]}"


def period_label(first: date, last: date) -> str:
    """January–December 2026; March 2026; November 2025 – March 2026."""
    if (first.year, first.month) == (last.year, last.month):
        return f"{first:%B %Y}"
    if first.year == last.year:
        return f"{first:%B}–{last:%B %Y}"
    return f"{first:%B %Y} – {last:%B %Y}"


def bar_chart(figure: Figure, element_id: str) -> Markup:
    """A grouped bar per month and series, with the y axis, month labels and a legend; a
    sentence instead when every value is nothing (an empty 0–1 axis says nothing)."""
    if not any(v for row in figure.values for v in row):
        return Markup(f'<p class="empty chart-empty" id="{element_id}">No data in this period.</p>')
    plot_w, plot_h = WIDTH - LEFT - RIGHT, PLOT_HEIGHT
    height = TOP + plot_h + MONTHS_ROW + LEGEND_LINE * len(figure.series)
    top = nice_ceiling(max((v or 0 for row in figure.values for v in row), default=0))
    slot = plot_w / max(len(figure.months), 1)
    bar = slot * 0.8 / max(len(figure.series), 1)
    #: label every month while there is room for "Mar 26", else every second or third
    every = max(1, math.ceil(40 / slot))
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" class="chart" '
        f'role="img" aria-labelledby="{element_id}-title {element_id}-desc">',
        f'<title id="{element_id}-title">{escape(figure.title)}</title>',
        f'<desc id="{element_id}-desc">{escape(describe(figure))}</desc>',
    ]
    for tick in (0, top / 2, top):
        y = TOP + plot_h - plot_h * tick / top
        out.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
            f'<text x="{LEFT - 4}" y="{y + 4:.1f}" text-anchor="end">{number(tick)}</text>'
        )
    for m, (month, row) in enumerate(zip(figure.months, figure.values, strict=True)):
        x0 = LEFT + m * slot + slot * 0.1
        for i, value in enumerate(row):
            h = plot_h * (value or 0) / top
            out.append(
                f'<rect x="{x0 + i * bar:.1f}" y="{TOP + plot_h - h:.1f}" width="{bar:.1f}" '
                f'height="{h:.1f}" fill="{COLOURS[i % len(COLOURS)]}"/>'
            )
        if m % every == 0:
            x = LEFT + m * slot + slot / 2
            out.append(
                f'<text x="{x:.1f}" y="{TOP + plot_h + 15}" text-anchor="middle">'
                f"{month_label(month)}</text>"
            )
    for i, s in enumerate(figure.series):
        y = TOP + plot_h + MONTHS_ROW + i * LEGEND_LINE
        out.append(
            f'<rect x="{LEFT}" y="{y + 2}" width="11" height="11" '
            f'fill="{COLOURS[i % len(COLOURS)]}"/>'
            f'<text x="{LEFT + 16}" y="{y + 12}">{escape(s.label)}</text>'
        )
    out.append("</svg>")
    return Markup("".join(out))
