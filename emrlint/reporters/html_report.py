"""HTML: one self-contained page for a reviewer — summary cards, rates by department and
quarter with inline SVG charts, a filterable findings table, and for each episode with findings
a timeline of the stay showing why each finding fired.

No network and no external reference: styles, script and charts are inline, so the file opens
offline and can be archived or mailed as is. Findings are kept as flat rows; episodes are kept
only for the first `max_timelines` episodes with findings (the rest are counted), so a large
run gives a large table but never an unbounded number of drawings.
"""

from __future__ import annotations

import hashlib
from typing import Any, TextIO

from emrlint.api import EpisodeResult
from emrlint.parsers import InputProblem
from emrlint.reporters.base import RunInfo, RunSummary, is_shown
from emrlint.reporters.html_page import EpisodeView, render_page
from emrlint.reporters.html_timeline import timeline_svg
from emrlint.reporters.json_report import finding_records
from emrlint.reporters.labels import status_label
from emrlint.reporters.rates import RateAccumulator
from emrlint.reporters.records import flat_finding
from emrlint.rules.values import format_value

__all__ = ["HtmlReporter"]

_RATE_VIEWS = ("department", "quarter", "department,quarter")


def _anchor(episode_id: str) -> str:
    """A stable, html-safe id for an episode's timeline (episode ids may hold any character)."""
    return "tl-" + hashlib.sha1(episode_id.encode("utf-8")).hexdigest()[:12]


class HtmlReporter:
    """Collects rows, rates and timelines; writes the page in `finish`."""

    def __init__(self, max_timelines: int = 200) -> None:
        self.max_timelines = max_timelines
        self.info: RunInfo | None = None
        self.rows: list[dict[str, Any]] = []
        self.episodes: list[EpisodeView] = []
        self.not_drawn = 0
        self.rates: dict[str, RateAccumulator] = {}

    def start(self, out: TextIO, info: RunInfo) -> None:
        self.info = info
        self.rates = {view: RateAccumulator(view.split(","), info.rules) for view in _RATE_VIEWS}

    def add(self, out: TextIO, result: EpisodeResult | InputProblem) -> None:
        assert self.info is not None
        for accumulator in self.rates.values():
            accumulator.add(result)
        records = finding_records(result, self.info.show_pass)
        if not records:
            return
        drawn = isinstance(result, EpisodeResult) and self._draw(result)
        for record in records:
            row = flat_finding(record, self.info.lang)
            row["anchor"] = _anchor(result.episode_id) if drawn else ""  # type: ignore[union-attr]
            self.rows.append(row)

    def _draw(self, result: EpisodeResult) -> bool:
        assert self.info is not None
        if len(self.episodes) >= self.max_timelines:
            self.not_drawn += 1
            return False
        lang = self.info.lang
        findings = [o for o in result.outcomes if is_shown(o, self.info.show_pass)]
        episode = result.episode
        heading = [("病历 " if lang == "zh" else "Episode ") + result.episode_id]
        if episode is not None:
            department = episode.discharge_department or episode.department
            if department:
                heading.append(department)
            stay = format_value(episode.admitted_at)
            if episode.discharged_at is not None:
                stay += f" → {format_value(episode.discharged_at)}"
            heading.append(stay)
        lines = tuple(
            f"{o.status.value} {status_label(o.status, lang)} · {o.rule_id}: "
            f"{(o.message_en if lang == 'en' else o.message_zh) or o.message_zh}"
            for o in findings
        )
        self.episodes.append(
            EpisodeView(
                result.episode_id,
                _anchor(result.episode_id),
                " · ".join(heading),
                lines,
                timeline_svg(episode, findings, self.info.as_of, lang),
            )
        )
        return True

    def finish(self, out: TextIO, summary: RunSummary) -> None:
        assert self.info is not None
        reports = {view: acc.report(self.info.as_of) for view, acc in self.rates.items()}
        out.write(
            render_page(
                self.info,
                summary,
                self.rows,
                reports,
                self.episodes,
                self.not_drawn,
                self.max_timelines,
            )
        )
