"""The html report's page: summary cards, rates (by department, by quarter, department ×
quarter, per indicator and rule), the filterable findings table and one timeline per episode.
Pure string building from data the reporter collected; every value is escaped."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

from emrlint.outcomes import Severity, Status
from emrlint.reporters.base import RunInfo, RunSummary
from emrlint.reporters.html_assets import CSS, SCRIPT, legend
from emrlint.reporters.html_timeline import timeline_words
from emrlint.reporters.labels import STATUS_ORDER, severity_label, status_label, text
from emrlint.reporters.rate_writers import format_rate
from emrlint.reporters.rates import ALL, RateReport, RateRow
from emrlint.reporters.svg_charts import (
    STATUS_COLOURS,
    column_chart,
    stacked_bar,
    stacked_bar_chart,
)

__all__ = ["EpisodeView", "render_page"]


@dataclass(frozen=True)
class EpisodeView:
    """What the page shows of one episode with findings: header facts and its drawn timeline."""

    episode_id: str
    anchor: str
    heading: str
    findings: tuple[str, ...]
    svg: str


def _e(value: Any) -> str:
    return escape("" if value is None else str(value))


def _words(lang: str) -> dict[str, str]:
    zh = {
        "title": "病历质控报告",
        "overview": "概览",
        "rates": "合规率",
        "by_department": "按科室（全部规则）",
        "by_quarter": "按季度（全部规则）",
        "matrix": "科室 × 季度",
        "indicators": "按指标与规则",
        "findings": "问题明细",
        "timelines": "时间线",
        "search": "搜索…",
        "all": "全部",
        "shown": "显示",
        "of": "条，共",
        "rows": "条",
        "evidence": "证据",
        "more": "另有 {n} 份病历的时间线未画出（上限 {limit}）",
        "none": "无问题。",
    }
    en = {
        "title": "Medical-record QC report",
        "overview": "Overview",
        "rates": "Compliance rates",
        "by_department": "By department (all rules)",
        "by_quarter": "By quarter (all rules)",
        "matrix": "Department × quarter",
        "indicators": "By indicator and rule",
        "findings": "Findings",
        "timelines": "Timelines",
        "search": "Search…",
        "all": "all",
        "shown": "Showing",
        "of": "of",
        "rows": "rows",
        "evidence": "evidence",
        "more": "{n} more episodes with findings are not drawn (limit {limit})",
        "none": "No findings.",
    }
    return zh if lang == "zh" else en


def render_page(
    info: RunInfo,
    summary: RunSummary,
    rows: Sequence[dict[str, Any]],
    rates: dict[str, RateReport],
    episodes: Sequence[EpisodeView],
    not_drawn: int,
    max_timelines: int,
) -> str:
    """The whole html document. `rates` holds reports keyed "department", "quarter" and
    "department,quarter"; `rows` are flat findings plus an `anchor` to their timeline."""
    lang = info.lang
    w = _words(lang)
    books = ", ".join(f"{b.get('id')} ({str(b.get('sha256') or '')[:12]})" for b in info.rulebooks)
    meta = (
        f"emrlint {_e(info.emrlint_version)} · {_e(text('as_of', lang))} "
        f"{_e(info.as_of.strftime('%Y-%m-%d %H:%M'))} · {_e(books)}"
    )
    body = [
        f"<header><h1>emrlint {_e(w['title'])}</h1><p>{meta}</p></header><main>",
        _cards(summary, rates["department"], len(rows), lang),
        _rates_section(rates, lang, w),
        _findings_section(rows, lang, w),
        _timelines_section(episodes, not_drawn, max_timelines, lang, w),
        "</main>",
    ]
    return (
        f'<!DOCTYPE html>\n<html lang="{"zh-CN" if lang == "zh" else "en"}"><head>'
        f'<meta charset="utf-8"><meta name="viewport" content="width=device-width">'
        f"<title>emrlint {_e(w['title'])}</title><style>{CSS}</style></head><body>"
        + "\n".join(body)
        + f"<script>{SCRIPT}</script></body></html>\n"
    )


def _cards(summary: RunSummary, rates: RateReport, findings: int, lang: str) -> str:
    overall = rates.overall()
    cards: list[tuple[str, Any, str]] = [
        (text("episodes", lang), summary.episodes, "#1f4e79"),
        (text("input_problems", lang), summary.input_problems, "#555"),
        (text("findings", lang), findings, "#555"),
        (text("compliance", lang), format_rate(overall.rate if overall else None), "#3aa655"),
    ]
    cards.extend(
        (
            f"{status.value} {status_label(status, lang)}",
            summary.by_status.get(status.value, 0),
            STATUS_COLOURS[status],
        )
        for status in (Status.FAIL, Status.PENDING, Status.INDETERMINATE, Status.WAIVED)
    )
    html = "".join(
        f'<div class="card" style="border-top-color:{colour}"><div class="n">{_e(number)}'
        f'</div><div class="l">{_e(label)}</div></div>'
        for label, number, colour in cards
    )
    return f'<section class="cards">{html}</section>'


def _label(value: str | None, lang: str) -> str:
    return value if value is not None else text("unknown", lang)


def _rates_section(rates: dict[str, RateReport], lang: str, w: dict[str, str]) -> str:
    by_department = [
        (_label(r.stratum[0], lang), r) for r in rates["department"].strata("all", ALL)
    ]
    by_quarter = [(_label(r.stratum[0], lang), r) for r in rates["quarter"].strata("all", ALL)]
    return (
        f'<section class="block"><h2>{_e(w["rates"])}</h2><div class="charts">'
        f"<div><h3>{_e(w['by_department'])}</h3>{stacked_bar_chart(by_department, lang)}</div>"
        f"<div><h3>{_e(w['by_quarter'])}</h3>{column_chart(by_quarter, lang)}</div></div>"
        f"<h3>{_e(w['matrix'])}</h3>{_matrix(rates['department,quarter'], lang)}"
        f"<h3>{_e(w['indicators'])}</h3>{_indicator_table(rates['department'], lang)}</section>"
    )


def _heat(rate: float | None) -> str:
    if rate is None:
        return "#f2f2f2"
    # red (0%) → amber → green (100%), light enough to read black text on
    hue = int(120 * rate)
    return f"hsl({hue}, 65%, 80%)"


def _matrix(report: RateReport, lang: str) -> str:
    cells = {r.stratum: r for r in report.strata("all", ALL)}
    departments = sorted({s[0] for s in cells}, key=lambda v: (v is None, v or ""))
    quarters = sorted({s[1] for s in cells}, key=lambda v: (v is None, v or ""))
    if not cells:
        return '<p class="muted">—</p>'
    head = "".join(f'<th class="num">{_e(_label(q, lang))}</th>' for q in quarters)
    lines = [f'<table class="heat"><thead><tr><th></th>{head}</tr></thead><tbody>']
    for department in departments:
        row = [f"<th>{_e(_label(department, lang))}</th>"]
        for quarter in quarters:
            cell = cells.get((department, quarter))
            if cell is None:
                row.append("<td></td>")
                continue
            tip = f"{cell.numerator}/{cell.denominator}"
            row.append(
                f'<td style="background:{_heat(cell.rate)}" title="{_e(tip)}">'
                f"{_e(format_rate(cell.rate))}<br><small>{_e(tip)}</small></td>"
            )
        lines.append(f"<tr>{''.join(row)}</tr>")
    lines.append("</tbody></table>")
    return "".join(lines)


def _indicator_table(report: RateReport, lang: str) -> str:
    headers = [
        text("kind", lang),
        text("id", lang),
        text("name", lang),
        text("rate", lang),
        f"{text('numerator', lang)}/{text('denominator', lang)}",
        "",
        *(status_label(s, lang) for s in STATUS_ORDER),
        text("subjects", lang),
    ]
    head = "".join(
        f'<th class="{"num" if i >= 3 else ""}">{_e(h)}</th>' for i, h in enumerate(headers)
    )
    lines = [f'<div class="scroll"><table><thead><tr>{head}</tr></thead><tbody>']
    for row in report.totals():
        lines.append(_indicator_row(row, lang))
    lines.append("</tbody></table></div>")
    return "".join(lines)


def _indicator_row(row: RateRow, lang: str) -> str:
    bar = f'<svg width="120" height="12">{stacked_bar(row, 120, 12)}</svg>'
    counts = "".join(f'<td class="num">{row.count(s)}</td>' for s in STATUS_ORDER)
    return (
        f"<tr><td>{_e(text('kind_' + row.kind, lang))}</td><td>{_e(row.id)}</td>"
        f'<td>{_e(row.name(lang))}</td><td class="num">{_e(format_rate(row.rate))}</td>'
        f'<td class="num">{row.numerator}/{row.denominator}</td><td>{bar}</td>{counts}'
        f'<td class="num">{row.subjects}</td></tr>'
    )


def _options(values: Sequence[str], labels: dict[str, str] | None = None) -> str:
    return "".join(
        f'<option value="{_e(v)}">{_e((labels or {}).get(v, v))}</option>' for v in values
    )


def _findings_section(rows: Sequence[dict[str, Any]], lang: str, w: dict[str, str]) -> str:
    if not rows:
        return (
            f'<section class="block"><h2>{_e(w["findings"])}</h2><p>{_e(w["none"])}</p></section>'
        )
    statuses = [s.value for s in STATUS_ORDER if any(r["status"] == s.value for r in rows)]
    severities = [v.value for v in reversed(Severity) if any(r["severity"] == v for r in rows)]
    departments = sorted({r["department"] for r in rows if r["department"]})
    rules = sorted({r["rule_id"] for r in rows})
    status_names = {s: f"{s} {status_label(s, lang)}" for s in statuses}
    severity_names = {s: severity_label(s, lang) for s in severities}
    everything = f'<option value="">{_e(w["all"])} · '
    filters = (
        f'<div class="filters"><input id="q" type="search" placeholder="{_e(w["search"])}">'
        f'<select data-filter="status">{everything}{_e(text("status", lang))}</option>'
        f"{_options(statuses, status_names)}</select>"
        f'<select data-filter="severity">{everything}{_e(text("severity", lang))}</option>'
        f"{_options(severities, severity_names)}</select>"
        f'<select data-filter="department">{everything}{_e(text("department", lang))}</option>'
        f"{_options(departments)}</select>"
        f'<select data-filter="rule">{everything}{_e(text("rule_id", lang))}</option>'
        f"{_options(rules)}</select>"
        f'<span class="muted">{_e(w["shown"])} <b id="shown">{len(rows)}</b> '
        f"{_e(w['of'])} {len(rows)} {_e(w['rows'])}</span></div>"
    )
    columns = ["status", "severity", "rule_id", "episode_id", "department", "subject_label"]
    headers = [text(c, lang) for c in columns] + [
        text("message", lang),
        text("deadline", lang),
        w["evidence"],
    ]
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "".join(_finding_row(row, lang) for row in rows)
    return (
        f'<section class="block"><h2>{_e(w["findings"])}</h2>{filters}<div class="scroll">'
        f'<table id="findings"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
        "</div></section>"
    )


def _evidence(row: dict[str, Any], lang: str) -> str:
    parts = []
    if row["nearest"]:
        parts.append(f"{text('nearest', lang)}: {row['nearest']} (+{row['margin']})")
    if row["found"]:
        parts.append(f"{text('found', lang)}: {row['found']}")
    if row["searched"] and not row["found"] and not row["nearest"]:
        found = row["count"] or 0
        if lang == "zh":
            need = f"，要求 {row['required']}" if row["required"] else ""
            parts.append(f"检索 {row['searched']}：找到 {found}{need}")
        else:
            need = f", need {row['required']}" if row["required"] else ""
            parts.append(f"searched {row['searched']}: found {found}{need}")
    if row["reason"]:
        parts.append(f"{text('reason', lang)}: {row['reason']}")
    if row["file"]:
        parts.append(f"{row['file']} {row['position']}")
    return "<br>".join(_e(p) for p in parts)


def _finding_row(row: dict[str, Any], lang: str) -> str:
    status = row["status"]
    episode = _e(row["episode_id"])
    if row.get("anchor"):
        episode = f'<a href="#{_e(row["anchor"])}">{episode}</a>'
    subject = row["subject_label"] or (
        "" if row["subject_type"] in ("episode", "input") else row["subject_id"]
    )
    return (
        f'<tr data-status="{_e(status)}" data-severity="{_e(row["severity"])}" '
        f'data-department="{_e(row["department"])}" data-rule="{_e(row["rule_id"])}">'
        f'<td><span class="status st-{_e(status)}">{_e(status)}</span></td>'
        f"<td>{_e(severity_label(row['severity'], lang))}</td><td>{_e(row['rule_id'])}</td>"
        f"<td>{episode}</td><td>{_e(row['department'])}</td><td>{_e(subject)}</td>"
        f"<td>{_e(row['message'])}</td><td>{_e(row['deadline'])}</td>"
        f"<td>{_evidence(row, lang)}</td></tr>"
    )


def _timelines_section(
    episodes: Sequence[EpisodeView], not_drawn: int, limit: int, lang: str, w: dict[str, str]
) -> str:
    if not episodes:
        return ""
    parts = [
        f'<section class="block"><h2>{_e(w["timelines"])}</h2>',
        legend(timeline_words(lang)),
    ]
    for view in episodes:
        items = "".join(f"<li>{_e(f)}</li>" for f in view.findings)
        parts.append(
            f'<div class="episode" id="{_e(view.anchor)}"><h3>{_e(view.heading)}</h3>'
            f'<ul>{items}</ul><div class="scroll">{view.svg}</div></div>'
        )
    if not_drawn:
        parts.append(f'<p class="muted">{_e(w["more"].format(n=not_drawn, limit=limit))}</p>')
    parts.append("</section>")
    return "".join(parts)
