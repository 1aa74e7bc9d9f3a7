"""The html report is one self-contained file: summary, rates, a filterable findings table and a
timeline per episode. Headless Chromium renders it (skipped when Chromium is not installed)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from emrlint.reporters.base import RunInfo
from tests.reporters.conftest import Results, write_file

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)"
)


@pytest.fixture(scope="module")
def page(results: Results, info: RunInfo, artifacts: Path) -> Path:
    return write_file("html", results, info, artifacts / "report.html")


def test_html_is_one_file_without_external_references(page: Path) -> None:
    html = page.read_text("utf-8")
    for reference in ("http://", "https://", "src=", "<link", "@import", "url(", "//cdn"):
        assert reference not in html, reference
    assert html.startswith("<!DOCTYPE html>") and html.rstrip().endswith("</html>")


def test_html_has_cards_rates_table_and_timelines(page: Path) -> None:
    html = page.read_text("utf-8")
    assert html.count('<div class="card"') == 8
    assert "按科室（全部规则）" in html and "按季度（全部规则）" in html
    assert "关键诊疗行为相关记录完整率（按病历）" in html
    body = html[html.index('<table id="findings">') :]
    body = body[: body.index("</table>")]
    assert body.count("<tr data-status=") == 8
    assert html.count('<svg class="timeline"') == 4  # ep-2, ep-3, ep-4, ep-5 have findings
    anchors = set(re.findall(r'href="#(tl-[0-9a-f]+)"', html))
    assert anchors and all(f'id="{anchor}"' in html for anchor in anchors)


def test_timeline_draws_window_deadline_and_late_document(page: Path) -> None:
    html = page.read_text("utf-8")
    start = html.index("病历 ep-3")
    section = html[start : html.index("</svg>", start)]
    assert "抢救记录 e3-rr 2024-07-05 20:00" in section  # the late rescue record
    assert "时间窗 2024-07-05 11:00 – 2024-07-05 17:00" in section
    assert "时限 2024-07-05 17:00" in section
    assert "抢救 e3-r1 2024-07-05 10:00 – 2024-07-05 11:00" in section


def _chromium(*args: str, user_data: Path) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    return subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={user_data}",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


@needs_chromium
def test_chromium_renders_the_page_and_runs_its_script(page: Path, tmp_path: Path) -> None:
    result = _chromium("--dump-dom", page.as_uri(), user_data=tmp_path / "profile")
    dom = result.stdout
    assert 'id="findings" data-ready="yes"' in dom, result.stderr[-2000:]
    assert dom.count("<tr data-status=") == 8
    assert " hidden" not in dom.split('id="findings"')[1].split("</table>")[0]
    assert '<svg class="timeline"' in dom


@needs_chromium
def test_a_link_can_carry_a_filter(page: Path, tmp_path: Path) -> None:
    result = _chromium("--dump-dom", page.as_uri() + "#status=PENDING", user_data=tmp_path / "p")
    table = result.stdout.split('id="findings"')[1].split("</table>")[0]
    rows = re.findall(r"<tr data-status=\"(\w+)\"[^>]*?( hidden=\"\")?>", table)
    assert sorted(status for status, hidden in rows if not hidden) == ["PENDING", "PENDING"]
    assert '<b id="shown">2</b>' in result.stdout


@needs_chromium
def test_chromium_screenshot_is_saved(page: Path, tmp_path: Path, artifacts: Path) -> None:
    shot = artifacts / "report.png"
    shot.unlink(missing_ok=True)
    result = _chromium(
        f"--screenshot={shot}", "--window-size=1400,2000", page.as_uri(), user_data=tmp_path / "s"
    )
    assert shot.exists() and shot.stat().st_size > 20_000, result.stderr[-2000:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_results_without_episodes_still_draw_their_findings(
    results: Results, info: RunInfo, tmp_path: Path
) -> None:
    from dataclasses import replace

    from emrlint.api import EpisodeResult

    bare = [replace(r, episode=None) if isinstance(r, EpisodeResult) else r for r in results]
    html = write_file("html", bare, info, tmp_path / "bare.html").read_text("utf-8")
    assert html.count('<svg class="timeline"') == 4
    assert "RPT-3-rescue-record" in html and "住院</text>" not in html
