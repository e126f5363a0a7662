"""Figures and plain-text tables for the benchmarks: a label column, then one per size."""

from __future__ import annotations

import statistics


def stats(samples: list[float]) -> tuple[float, float]:
    """Median and p95 of durations in seconds, in milliseconds."""
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1000, p95 * 1000


def grid(title: str, columns: list[str], rows: list[tuple[str, list[str]]]) -> str:
    """`title`, a header of `columns` and one line per (label, cells), aligned."""
    first = max(len(label) for label, _ in rows)
    widths = [max(len(c), *(len(cells[i]) for _, cells in rows)) for i, c in enumerate(columns)]
    lines = [
        "",
        title,
        "  " + " " * first + "".join(f"  {c:>{w}}" for c, w in zip(columns, widths, strict=True)),
    ]
    for label, cells in rows:
        lines.append(
            f"  {label:<{first}}"
            + "".join(f"  {c:>{w}}" for c, w in zip(cells, widths, strict=True))
        )
    return "\n".join(lines)
