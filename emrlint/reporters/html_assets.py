"""The style sheet, script and legend embedded in the html report. Kept inline (no CDN, no
fonts, no images) so the file opens offline inside a hospital network and can be mailed as is.
The script only filters the findings table (also from a link such as
`report.html#status=FAIL&department=心内科`); the page is complete without it."""

from __future__ import annotations

from html import escape

from emrlint.outcomes import Status
from emrlint.reporters.svg_charts import FONT, STATUS_COLOURS

__all__ = ["CSS", "SCRIPT", "legend"]

CSS = """
:root { --fg:#1d2733; --muted:#5f6b7a; --line:#dfe3e8; --accent:#1f4e79; }
* { box-sizing:border-box; }
body { margin:0; font-family:FONT; color:var(--fg); background:#f4f6f8; font-size:14px; }
header { background:var(--accent); color:#fff; padding:18px 28px; }
header h1 { margin:0 0 4px; font-size:22px; }
header p { margin:0; opacity:.85; font-size:13px; }
main { padding:20px 28px 40px; max-width:1500px; }
section.block { background:#fff; border:1px solid var(--line); border-radius:8px;
  padding:16px 20px; margin:0 0 18px; }
h2 { font-size:17px; margin:0 0 12px; color:var(--accent); }
h3 { font-size:15px; margin:4px 0 8px; }
.cards { display:flex; flex-wrap:wrap; gap:12px; }
.card { flex:1 1 150px; background:#fff; border:1px solid var(--line); border-radius:8px;
  padding:12px 16px; border-top:4px solid var(--accent); }
.card .n { font-size:26px; font-weight:bold; }
.card .l { color:var(--muted); font-size:13px; }
.charts { display:flex; flex-wrap:wrap; gap:24px; align-items:flex-start; }
.charts > div { flex:1 1 420px; overflow-x:auto; }
table { border-collapse:collapse; width:100%; font-size:13px; }
th, td { border-bottom:1px solid var(--line); padding:5px 8px; text-align:left;
  vertical-align:top; }
th { background:#eef2f6; position:sticky; top:0; }
td.num, th.num { text-align:right; white-space:nowrap; }
#findings th, #findings td:nth-child(2), #findings td:nth-child(3),
#findings td:nth-child(4), #findings td:nth-child(5) { white-space:nowrap; }
.status { font-weight:bold; white-space:nowrap; border-radius:4px; padding:1px 6px;
  color:#fff; }
.filters { display:flex; flex-wrap:wrap; gap:10px; margin:0 0 10px; align-items:center; }
.filters input, .filters select { padding:5px 8px; border:1px solid #b8c2cc;
  border-radius:4px; font:inherit; }
.filters input { min-width:240px; }
.muted { color:var(--muted); }
.scroll { overflow-x:auto; }
.episode { border-top:1px solid var(--line); padding-top:12px; margin-top:12px; }
.episode ul { margin:4px 0 8px; padding-left:20px; }
table.heat { width:auto; }
.heat td { text-align:center; min-width:90px; }
.heat th { white-space:nowrap; }
.legend { display:flex; flex-wrap:wrap; gap:14px; font-size:12px; color:var(--muted);
  margin-bottom:6px; }
.legend svg { vertical-align:middle; margin-right:4px; }
a { color:var(--accent); }
""".replace("FONT", FONT).strip()
CSS += "\n" + "\n".join(
    f".st-{status.value} {{ background:{colour}; }}" for status, colour in STATUS_COLOURS.items()
)

SCRIPT = """
(function () {
  var table = document.getElementById('findings');
  if (!table) { return; }
  var rows = Array.prototype.slice.call(table.tBodies[0].rows);
  var search = document.getElementById('q');
  var selects = Array.prototype.slice.call(document.querySelectorAll('select[data-filter]'));
  var shown = document.getElementById('shown');
  function apply() {
    var q = search.value.trim().toLowerCase();
    var n = 0;
    rows.forEach(function (row) {
      var ok = !q || row.textContent.toLowerCase().indexOf(q) >= 0;
      selects.forEach(function (s) {
        if (s.value && row.getAttribute('data-' + s.getAttribute('data-filter')) !== s.value) {
          ok = false;
        }
      });
      row.hidden = !ok;
      if (ok) { n += 1; }
    });
    shown.textContent = String(n);
  }
  search.addEventListener('input', apply);
  selects.forEach(function (s) { s.addEventListener('change', apply); });
  // a link may carry filters: report.html#status=FAIL&department=...&q=...
  if (location.hash.indexOf('=') > 0) {
    location.hash.slice(1).split('&').forEach(function (pair) {
      var kv = pair.split('=');
      var value = decodeURIComponent(kv[1] || '');
      if (kv[0] === 'q') { search.value = value; }
      selects.forEach(function (s) {
        if (s.getAttribute('data-filter') === kv[0]) { s.value = value; }
      });
    });
  }
  apply();
  table.setAttribute('data-ready', 'yes');
})();
""".strip()


def legend(words: dict[str, str]) -> str:
    """A key to the timeline's marks, drawn with the same shapes."""
    items = [
        ('<rect x="1" y="4" width="26" height="8" fill="#9fb8d6"/>', words["stay"]),
        ('<rect x="1" y="4" width="26" height="8" fill="#e08a3c"/>', words["procedure"]),
        ('<path d="M14 2 L20 8 L14 14 L8 8 Z" fill="#2f6f8f"/>', words["document"]),
        (
            f'<rect x="1" y="2" width="26" height="12" fill="{STATUS_COLOURS[Status.FAIL]}" '
            'fill-opacity=".22"/>',
            words["window"],
        ),
        (
            '<line x1="14" x2="14" y1="0" y2="16" stroke="#b03a2e" stroke-width="2.5"/>',
            words["deadline"],
        ),
        (f'<circle cx="14" cy="8" r="5" fill="{STATUS_COLOURS[Status.PASS]}"/>', words["found"]),
        (
            '<circle cx="14" cy="8" r="5" fill="#fff" stroke="#e67e22" stroke-width="3"/>',
            words["late"],
        ),
        (
            '<line x1="14" x2="14" y1="0" y2="16" stroke="#1f6fd1" stroke-dasharray="4 2"/>',
            words["as_of"],
        ),
    ]
    return (
        '<div class="legend">'
        + "".join(
            f'<span><svg width="28" height="16">{shape}</svg>{escape(label)}</span>'
            for shape, label in items
        )
        + "</div>"
    )
