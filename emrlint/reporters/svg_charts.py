"""Small inline SVG charts for the html report: stacked status bars per department and rate
columns per quarter. Inline SVG, no library and no script, so the file stays self-contained and
prints; every shape carries a <title> so hovering shows the exact counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from emrlint.outcomes import Status
from emrlint.reporters.labels import display_width, status_label, text
from emrlint.reporters.rates import RateRow

__all__ = ["STATUS_COLOURS", "column_chart", "shorten", "stacked_bar", "stacked_bar_chart"]

STATUS_COLOURS = {
    Status.FAIL: "#d64541",
    Status.PENDING: "#f0a30a",
    Status.INDETERMINATE: "#8e6cc0",
    Status.WAIVED: "#4a90d9",
    Status.PASS: "#3aa655",
    Status.NA: "#c8c8c8",
}
# Statuses drawn in bars, left to right: NA is out of scope and not drawn.
_DRAWN = (Status.PASS, Status.FAIL, Status.PENDING, Status.INDETERMINATE, Status.WAIVED)
FONT = "'Noto Sans CJK SC','Source Han Sans SC','Microsoft YaHei','PingFang SC',sans-serif"


def shorten(value: str, width: int) -> str:
    """`value` cut to `width` display columns, with an ellipsis when cut."""
    if display_width(value) <= width:
        return value
    out = ""
    for ch in value:
        if display_width(out + ch) > width - 1:
            break
        out += ch
    return out + "…"


def _rate_text(row: RateRow) -> str:
    return "—" if row.rate is None else f"{row.rate * 100:.1f}%"


def _counts_title(row: RateRow, label: str, lang: str) -> str:
    counts = ", ".join(
        f"{status_label(s, lang)} {row.count(s)}" for s in (*_DRAWN, Status.NA) if row.count(s)
    )
    return f"{label}: {_rate_text(row)} ({row.numerator}/{row.denominator}); {counts}"


def stacked_bar(row: RateRow, width: float, height: float, x: float = 0, y: float = 0) -> str:
    """Rectangles for one row's judged subjects (NA left out), scaled to `width`."""
    total = sum(row.count(s) for s in _DRAWN)
    if total == 0:
        return (
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{height:.1f}" fill="#eee"/>'
        )
    parts = []
    offset = x
    for status in _DRAWN:
        count = row.count(status)
        if not count:
            continue
        part = width * count / total
        parts.append(
            f'<rect x="{offset:.1f}" y="{y:.1f}" width="{part:.1f}" height="{height:.1f}" '
            f'fill="{STATUS_COLOURS[status]}"/>'
        )
        offset += part
    return "".join(parts)


def stacked_bar_chart(rows: Sequence[tuple[str, RateRow]], lang: str, width: int = 560) -> str:
    """One horizontal bar per (label, row): statuses stacked, the rate written at the end."""
    if not rows:
        return f'<p class="empty">{escape(text("unknown", lang))}</p>'
    label_width, bar_height, gap = 130, 18, 8
    bar_width = width - label_width - 120
    height = len(rows) * (bar_height + gap) + gap
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" font-family="{FONT}" font-size="12">'
    ]
    for index, (label, row) in enumerate(rows):
        y = gap + index * (bar_height + gap)
        parts.append(f"<g><title>{escape(_counts_title(row, label, lang))}</title>")
        parts.append(
            f'<text x="{label_width - 8}" y="{y + bar_height - 5}" text-anchor="end">'
            f"{escape(shorten(label, 18))}</text>"
        )
        parts.append(stacked_bar(row, bar_width, bar_height, label_width, y))
        parts.append(
            f'<text x="{label_width + bar_width + 8}" y="{y + bar_height - 5}">'
            f"{_rate_text(row)}  {row.numerator}/{row.denominator}</text></g>"
        )
    parts.append("</svg>")
    return "".join(parts)


def column_chart(rows: Sequence[tuple[str, RateRow]], lang: str, height: int = 220) -> str:
    """One column per (label, row), its height the rate; labels under, rates above."""
    if not rows:
        return f'<p class="empty">{escape(text("unknown", lang))}</p>'
    column, gap, top, bottom, left = 46, 26, 24, 40, 40
    width = left + len(rows) * (column + gap) + gap
    plot = height - top - bottom
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" font-family="{FONT}" font-size="12">'
    ]
    for percent in (0, 50, 100):
        y = top + plot * (1 - percent / 100)
        parts.append(
            f'<line x1="{left - 4}" x2="{width}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>'
            f'<text x="{left - 8}" y="{y + 4:.1f}" text-anchor="end" fill="#666">{percent}%</text>'
        )
    for index, (label, row) in enumerate(rows):
        x = left + gap + index * (column + gap)
        rate = row.rate or 0.0
        bar = plot * rate
        parts.append(f"<g><title>{escape(_counts_title(row, label, lang))}</title>")
        parts.append(
            f'<rect x="{x}" y="{top + plot - bar:.1f}" width="{column}" height="{bar:.1f}" '
            f'fill="{STATUS_COLOURS[Status.PASS]}"/>'
        )
        parts.append(
            f'<text x="{x + column / 2}" y="{top + plot - bar - 6:.1f}" text-anchor="middle">'
            f"{_rate_text(row)}</text>"
        )
        parts.append(
            f'<text x="{x + column / 2}" y="{height - bottom + 16}" text-anchor="middle">'
            f"{escape(shorten(label, 10))}</text>"
            f'<text x="{x + column / 2}" y="{height - bottom + 31}" text-anchor="middle" '
            f'fill="#666">{row.numerator}/{row.denominator}</text></g>'
        )
    parts.append("</svg>")
    return "".join(parts)
