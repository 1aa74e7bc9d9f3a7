"""One episode drawn on a time axis, so a reviewer sees why a finding fired: the stay, transfers,
procedures, events and documents (from the Episode), then one lane per finding with the window
searched, the deadline, what was found in time or late, and the evaluation time.

Inline SVG with <title> tooltips; a time known only to the day is drawn as a pale band over
that day, never as a guessed moment. Draws no names or free text: kinds, ids, times only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from html import escape

from emrlint.model import Episode
from emrlint.outcomes import FoundItem, Outcome, Status
from emrlint.reporters.labels import status_label
from emrlint.reporters.records import kind_name
from emrlint.reporters.svg_charts import FONT, STATUS_COLOURS, shorten
from emrlint.rules.values import format_duration

__all__ = ["timeline_svg", "timeline_words"]

Moment = dt.datetime | dt.date
_Scale = Callable[[dt.datetime], float]

_WIDTH, _LABEL, _LANE, _AXIS, _RIGHT = 1100, 190, 22, 34, 16
_STEPS = [dt.timedelta(hours=h) for h in (1, 2, 3, 6, 12, 24, 48, 96, 168, 336, 720)]


@dataclass
class _Mark:
    start: dt.datetime
    end: dt.datetime | None  # None: a point
    shape: str  # "bar", "band", "diamond", "dot", "ring", "deadline", "tick"
    colour: str
    tip: str


@dataclass
class _Lane:
    label: str
    css: str
    marks: list[_Mark] = field(default_factory=list)
    colour: str = "#333"


def timeline_words(lang: str) -> dict[str, str]:
    """The timeline's words (lane names, tooltips, legend) in `lang`."""
    zh = {
        "stay": "住院",
        "admitted": "入院",
        "discharged": "出院",
        "died": "死亡",
        "transfer": "转科",
        "procedure": "手术/操作",
        "level": "级",
        "rescue": "抢救",
        "critical_value": "危急值",
        "transfusion": "输血",
        "handover": "交接班",
        "consultation": "会诊",
        "window": "时间窗",
        "deadline": "时限",
        "found": "已找到",
        "late": "超时找到",
        "by": "超时",
        "subject": "对象时间",
        "as_of": "评估时间",
        "document": "文书",
    }
    en = {key: key.replace("_", " ") for key in zh}
    en.update({"late": "found late", "by": "late by", "subject": "subject time"})
    en.update({"procedure": "procedure", "level": "level ", "as_of": "evaluated as of"})
    return zh if lang == "zh" else en


class _Clock:
    """Turns model times into aware datetimes; a day-only time becomes its whole day."""

    def __init__(self, tz: dt.tzinfo) -> None:
        self.tz = tz

    def start(self, value: Moment) -> dt.datetime:
        if isinstance(value, dt.datetime):
            return value
        return dt.datetime.combine(value, dt.time(), tzinfo=self.tz)

    def end(self, value: Moment) -> dt.datetime:
        if isinstance(value, dt.datetime):
            return value
        return self.start(value) + dt.timedelta(days=1)

    def mark(self, value: Moment, shape: str, colour: str, tip: str) -> _Mark:
        if isinstance(value, dt.datetime):
            return _Mark(value, None, shape, colour, tip)
        return _Mark(self.start(value), self.end(value), "band", colour, tip + " (day only)")

    def span(self, start: Moment, end: Moment, colour: str, tip: str) -> _Mark:
        return _Mark(self.start(start), self.end(end), "bar", colour, tip)


def _show(value: Moment | None) -> str:
    if value is None:
        return "?"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return value.isoformat()


def _kind_name(kind: str | None, lang: str) -> str:
    return kind_name(kind, lang, en_title=True)


def _episode_lanes(episode: Episode, clock: _Clock, lang: str, end: dt.datetime) -> list[_Lane]:
    w = timeline_words(lang)
    stay = _Lane(w["stay"], "stay")
    until = episode.discharged_at
    stay.marks.append(
        clock.span(
            episode.admitted_at,
            until or end,
            "#9fb8d6",
            f"{w['admitted']} {_show(episode.admitted_at)} → {_show(until)}",
        )
    )
    stay.marks.append(clock.mark(episode.admitted_at, "tick", "#1f4e79", w["admitted"]))
    if until is not None:
        stay.marks.append(clock.mark(until, "tick", "#1f4e79", f"{w['discharged']} {_show(until)}"))
    if episode.died_at is not None:
        stay.marks.append(
            clock.mark(episode.died_at, "diamond", "#000", f"{w['died']} {_show(episode.died_at)}")
        )
    lanes = [stay]
    if episode.transfers:
        lane = _Lane(w["transfer"], "event")
        for t in episode.transfers:
            tip = f"{w['transfer']} {t.from_department} → {t.to_department} {_show(t.at)}"
            lane.marks.append(clock.mark(t.at, "diamond", "#1f4e79", tip))
        lanes.append(lane)
    for p in episode.procedures:
        level = f" {p.level}{w['level']}" if p.level else ""
        label = f"{p.name or p.code or p.id}{level}"
        lane = _Lane(f"{w['procedure']} {label}", "procedure")
        tip = f"{label} {_show(p.start)} – {_show(p.end)}"
        if p.start is not None:
            if p.end is not None:
                lane.marks.append(clock.span(p.start, p.end, "#e08a3c", tip))
            lane.marks.append(clock.mark(p.start, "tick", "#a0522d", tip))
        lanes.append(lane)
    lanes.extend(_event_lanes(episode, clock, w))
    if episode.consultations:
        lane = _Lane(w["consultation"], "event")
        for c in episode.consultations:
            tip = f"{w['consultation']} {c.department or ''} {_show(c.requested_at)} → "
            tip += _show(c.completed_at)
            if c.requested_at is not None and c.completed_at is not None:
                lane.marks.append(clock.span(c.requested_at, c.completed_at, "#7aa6c2", tip))
            elif c.requested_at is not None:
                lane.marks.append(clock.mark(c.requested_at, "dot", "#4a7a96", tip))
        lanes.append(lane)
    by_kind: dict[str, _Lane] = {}
    for d in episode.documents:
        lane = by_kind.setdefault(d.kind, _Lane(_kind_name(d.kind, lang), "document"))
        if d.written_at is not None:
            tip = f"{_kind_name(d.kind, lang)} {d.id} {_show(d.written_at)}"
            lane.marks.append(clock.mark(d.written_at, "diamond", "#2f6f8f", tip))
    ordered = sorted(
        by_kind.values(), key=lambda lane: min((m.start for m in lane.marks), default=end)
    )
    return lanes + ordered


def _event_lanes(episode: Episode, clock: _Clock, w: dict[str, str]) -> list[_Lane]:
    lanes: dict[str, _Lane] = {}
    for event in episode.events:
        lane = lanes.setdefault(event.type, _Lane(w.get(event.type, event.type), "event"))
        name = w.get(event.type, event.type)
        if event.type in ("rescue", "transfusion"):
            start, end = event.start, event.end  # type: ignore[union-attr]
            tip = f"{name} {event.id} {_show(start)} – {_show(end)}"
            if start is not None and end is not None:
                lane.marks.append(clock.span(start, end, "#c0392b", tip))
            for value in (start, end):
                if value is not None:
                    lane.marks.append(clock.mark(value, "tick", "#922b21", tip))
        elif event.type == "critical_value":
            for attr in ("reported_at", "received_at", "handled_at"):
                value = getattr(event, attr)
                if value is not None:
                    tip = f"{name} {event.id} {attr.removesuffix('_at')} {_show(value)}"
                    lane.marks.append(clock.mark(value, "dot", "#c0392b", tip))
        elif event.at is not None:  # type: ignore[union-attr]
            tip = f"{name} {event.id} {_show(event.at)}"  # type: ignore[union-attr]
            lane.marks.append(clock.mark(event.at, "dot", "#7d3c98", tip))  # type: ignore[union-attr]
    return list(lanes.values())


def _item_tip(item: FoundItem, lang: str) -> str:
    return f"{_kind_name(item.kind, lang) or item.type} {item.id} {_show(item.time)}"


def _finding_lane(outcome: Outcome, clock: _Clock, lang: str) -> _Lane:
    w = timeline_words(lang)
    colour = STATUS_COLOURS[outcome.status]
    lane = _Lane(outcome.rule_id, "finding", colour=colour)
    evidence = outcome.evidence
    head = f"{outcome.rule_id} {status_label(outcome.status, lang)}"
    if evidence.window_start is not None and evidence.window_end is not None:
        tip = f"{head}: {w['window']} {_show(evidence.window_start)} – {_show(evidence.window_end)}"
        lane.marks.append(_Mark(evidence.window_start, evidence.window_end, "band", colour, tip))
    if isinstance(outcome.subject.time, dt.datetime | dt.date):
        tip = f"{w['subject']} {outcome.subject.label or outcome.subject.id}"
        lane.marks.append(clock.mark(outcome.subject.time, "tick", "#555", tip))
    if evidence.deadline is not None:
        tip = f"{head}: {w['deadline']} {_show(evidence.deadline)}"
        lane.marks.append(_Mark(evidence.deadline, None, "deadline", "#b03a2e", tip))
    for item in evidence.found:
        if item.time is not None:
            tip = f"{w['found']} {_item_tip(item, lang)}"
            lane.marks.append(clock.mark(item.time, "dot", STATUS_COLOURS[Status.PASS], tip))
    nearest = evidence.nearest
    if nearest is not None and nearest.time is not None:
        late = f" {w['by']} {format_duration(evidence.margin)}" if evidence.margin else ""
        tip = f"{w['late']} {_item_tip(nearest, lang)}{late}"
        lane.marks.append(clock.mark(nearest.time, "ring", "#e67e22", tip))
    return lane


def _step(span: dt.timedelta) -> dt.timedelta:
    for step in _STEPS:
        if span / step <= 12:
            return step
    return _STEPS[-1]


def _ticks(low: dt.datetime, high: dt.datetime, tz: dt.tzinfo) -> list[dt.datetime]:
    step = _step(high - low)
    local = low.astimezone(tz)
    if step >= dt.timedelta(days=1):
        first = dt.datetime.combine(local.date(), dt.time(), tzinfo=tz)
    else:
        hours = int(step.total_seconds() // 3600)
        first = local.replace(minute=0, second=0, microsecond=0)
        first = first.replace(hour=first.hour - first.hour % hours)
    ticks = []
    moment = first
    while moment <= high:
        if moment >= low:
            ticks.append(moment)
        moment += step
    return ticks


def timeline_svg(
    episode: Episode | None,
    findings: Sequence[Outcome],
    as_of: dt.datetime,
    lang: str = "zh",
) -> str:
    """The SVG of one episode and its findings (the episode may be absent: findings only)."""
    clock = _Clock(as_of.tzinfo or dt.UTC)
    lanes = _episode_lanes(episode, clock, lang, as_of) if episode is not None else []
    lanes.extend(_finding_lane(o, clock, lang) for o in findings)
    moments = [m.start for lane in lanes for m in lane.marks]
    moments += [m.end for lane in lanes for m in lane.marks if m.end is not None]
    if not moments:
        moments = [as_of]
    low, high = min(moments), max(moments)
    if low <= as_of <= high + (high - low) * 0.25:
        high = max(high, as_of)
    if high - low < dt.timedelta(hours=2):
        low, high = low - dt.timedelta(hours=1), high + dt.timedelta(hours=1)
    pad = (high - low) * 0.03
    low, high = low - pad, high + pad
    plot = _WIDTH - _LABEL - _RIGHT

    def x(moment: dt.datetime) -> float:
        return _LABEL + plot * ((moment - low) / (high - low))

    height = _AXIS + len(lanes) * _LANE + 22
    parts = [
        f'<svg class="timeline" viewBox="0 0 {_WIDTH} {height}" width="{_WIDTH}" '
        f'height="{height}" role="img" font-family="{FONT}" font-size="11">'
    ]
    parts.extend(_axis(low, high, clock.tz, x, height))
    for index, lane in enumerate(lanes):
        parts.append(_lane_svg(lane, _AXIS + index * _LANE, x, index))
    if low <= as_of <= high:
        w = timeline_words(lang)
        parts.append(
            f"<g><title>{escape(w['as_of'])} {_show(as_of)}</title>"
            f'<line x1="{x(as_of):.1f}" x2="{x(as_of):.1f}" y1="{_AXIS - 6}" y2="{height - 14}" '
            f'stroke="#1f6fd1" stroke-width="1.5" stroke-dasharray="6 3"/>'
            f'<text x="{x(as_of):.1f}" y="{height - 2}" fill="#1f6fd1" text-anchor="middle">'
            f"{escape(w['as_of'])} {_show(as_of)}</text></g>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _axis(low: dt.datetime, high: dt.datetime, tz: dt.tzinfo, x: _Scale, height: int) -> list[str]:
    parts = []
    ticks = _ticks(low, high, tz)
    daily = len(ticks) < 2 or ticks[1] - ticks[0] >= dt.timedelta(days=1)
    for tick in ticks:
        local = tick.astimezone(tz)
        label = local.strftime("%m-%d") if daily or local.hour == 0 else local.strftime("%H:%M")
        if not daily and local.hour == 0:
            label = local.strftime("%m-%d %H:%M")
        parts.append(
            f'<line x1="{x(tick):.1f}" x2="{x(tick):.1f}" y1="{_AXIS - 4}" y2="{height - 14}" '
            f'stroke="#e6e6e6"/><text x="{x(tick):.1f}" y="{_AXIS - 12}" text-anchor="middle" '
            f'fill="#555">{label}</text>'
        )
    return parts


def _lane_svg(lane: _Lane, top: int, x: _Scale, index: int) -> str:
    middle = top + _LANE / 2
    background = "#fafafa" if index % 2 == 0 else "#ffffff"
    weight = ' font-weight="bold"' if lane.css == "finding" else ""
    parts = [
        f'<g class="lane {lane.css}"><rect x="0" y="{top}" width="{_WIDTH}" height="{_LANE}" '
        f'fill="{background}"/>'
        f'<text x="{_LABEL - 8}" y="{middle + 4:.1f}" text-anchor="end" fill="{lane.colour}"'
        f"{weight}>"
        f"<title>{escape(lane.label)}</title>{escape(shorten(lane.label, 30))}</text>"
    ]
    order = {"band": 0, "bar": 1, "tick": 2, "deadline": 3, "diamond": 4, "dot": 5, "ring": 6}
    for mark in sorted(lane.marks, key=lambda m: order[m.shape]):
        parts.append(f"<g><title>{escape(mark.tip)}</title>{_shape(mark, top, middle, x)}</g>")
    parts.append("</g>")
    return "".join(parts)


def _shape(mark: _Mark, top: int, middle: float, x: _Scale) -> str:
    start = x(mark.start)
    if mark.shape in ("bar", "band") and mark.end is not None:
        width = max(2.0, x(mark.end) - start)
        inset, opacity = (6, 0.9) if mark.shape == "bar" else (3, 0.22)
        return (
            f'<rect x="{start:.1f}" y="{top + inset}" width="{width:.1f}" '
            f'height="{_LANE - 2 * inset}" rx="2" fill="{mark.colour}" fill-opacity="{opacity}" '
            f'stroke="{mark.colour}" stroke-opacity="0.6"/>'
        )
    if mark.shape == "deadline":
        return (
            f'<line x1="{start:.1f}" x2="{start:.1f}" y1="{top + 1}" y2="{top + _LANE - 1}" '
            f'stroke="{mark.colour}" stroke-width="2.5"/>'
        )
    if mark.shape == "tick":
        return (
            f'<line x1="{start:.1f}" x2="{start:.1f}" y1="{top + 3}" y2="{top + _LANE - 3}" '
            f'stroke="{mark.colour}" stroke-width="1.5"/>'
        )
    if mark.shape == "diamond":
        r = 5
        return (
            f'<path d="M{start:.1f} {middle - r:.1f} L{start + r:.1f} {middle:.1f} '
            f'L{start:.1f} {middle + r:.1f} L{start - r:.1f} {middle:.1f} Z" '
            f'fill="{mark.colour}"/>'
        )
    if mark.shape == "ring":
        return (
            f'<circle cx="{start:.1f}" cy="{middle:.1f}" r="5.5" fill="#fff" '
            f'stroke="{mark.colour}" stroke-width="3"/>'
        )
    return f'<circle cx="{start:.1f}" cy="{middle:.1f}" r="5" fill="{mark.colour}"/>'
