"""Words the reports show, in 中文 and English, kept in one table so every format names a status,
a column or a dimension the same way. Holds no logic beyond the lookup."""

from __future__ import annotations

import unicodedata

from emrlint.outcomes import Severity, Status

__all__ = [
    "LANGS",
    "STATUS_ORDER",
    "dimension_label",
    "display_width",
    "pad",
    "severity_label",
    "status_label",
    "text",
]

LANGS = ("zh", "en")

# The order in which every report lists statuses: the actionable ones first.
STATUS_ORDER = (
    Status.FAIL,
    Status.PENDING,
    Status.INDETERMINATE,
    Status.WAIVED,
    Status.PASS,
    Status.NA,
)

_STATUS = {
    Status.PASS: ("达标", "pass"),
    Status.FAIL: ("不达标", "fail"),
    Status.PENDING: ("未到期", "pending"),
    Status.INDETERMINATE: ("无法判定", "indeterminate"),
    Status.NA: ("不适用", "not applicable"),
    Status.WAIVED: ("已豁免", "waived"),
}

_SEVERITY = {
    Severity.info: ("提示", "info"),
    Severity.minor: ("一般", "minor"),
    Severity.major: ("重要", "major"),
    Severity.critical: ("严重", "critical"),
}

_DIMENSIONS = {
    "department": ("科室", "department"),
    "attending": ("主治医师", "attending"),
    "month": ("月份", "month"),
    "quarter": ("季度", "quarter"),
}

# Column headers and other fixed words; the key is the stable English field name.
_TEXT: dict[str, tuple[str, str]] = {
    "rule_id": ("规则编号", "rule_id"),
    "rule_version": ("规则版本", "rule_version"),
    "status": ("结果", "status"),
    "severity": ("严重程度", "severity"),
    "category": ("类别", "category"),
    "tags": ("标签", "tags"),
    "citation": ("依据", "citation"),
    "message": ("说明", "message"),
    "episode_id": ("住院号", "episode_id"),
    "patient_id": ("患者编号", "patient_id"),
    "department": ("科室", "department"),
    "attending": ("主治医师", "attending"),
    "subject_type": ("对象类型", "subject_type"),
    "subject_id": ("对象编号", "subject_id"),
    "subject_label": ("对象", "subject_label"),
    "subject_time": ("对象时间", "subject_time"),
    "window_start": ("时间窗开始", "window_start"),
    "window_end": ("时间窗结束", "window_end"),
    "deadline": ("时限", "deadline"),
    "searched": ("检索的文书", "searched"),
    "found": ("找到的文书", "found"),
    "nearest": ("超时找到的文书", "nearest"),
    "margin": ("超时", "margin"),
    "margin_minutes": ("超时（分钟）", "margin_minutes"),
    "count": ("找到数量", "count"),
    "required": ("要求", "required"),
    "reason": ("原因", "reason"),
    "file": ("文件", "file"),
    "position": ("位置", "position"),
    "kind": ("类型", "kind"),
    "id": ("编号", "id"),
    "name": ("名称", "name"),
    "subjects": ("对象数", "subjects"),
    "numerator": ("分子", "numerator"),
    "denominator": ("分母", "denominator"),
    "rate": ("比率", "rate"),
    "title_zh": ("中文标题", "title_zh"),
    "title_en": ("英文标题", "title_en"),
    "version": ("版本", "version"),
    "rulebook": ("规则集", "rulebook"),
    "total": ("合计", "total"),
    "unknown": ("未知", "unknown"),
    "all_rules": ("全部规则", "All rules"),
    "episodes": ("病历数", "episodes"),
    "input_problems": ("无法读取的记录", "unreadable records"),
    "findings": ("问题数", "findings"),
    "as_of": ("评估时间", "evaluated as of"),
    "emrlint_version": ("emrlint 版本", "emrlint version"),
    "period": ("统计区间", "period"),
    "by": ("分组", "stratified by"),
    "sha256": ("SHA-256", "SHA-256"),
    "path": ("路径", "path"),
    "rules": ("规则数", "rules"),
    "config": ("配置", "configuration"),
    "lang": ("语言", "language"),
    "compliance": ("总体达标率", "overall compliance"),
    "kind_all": ("全部", "all"),
    "kind_composite": ("综合指标", "composite"),
    "kind_tag": ("标签", "tag"),
    "kind_rule": ("规则", "rule"),
    "input_message": ("无法读取记录：{reason}", "record could not be read: {reason}"),
}


def text(key: str, lang: str) -> str:
    """The word for `key` in `lang` (English for any language other than 中文)."""
    zh, en = _TEXT[key]
    return zh if lang == "zh" else en


def status_label(status: Status | str, lang: str) -> str:
    zh, en = _STATUS[Status(status)]
    return zh if lang == "zh" else en


def dimension_label(name: str, lang: str) -> str:
    zh, en = _DIMENSIONS[name]
    return zh if lang == "zh" else en


def severity_label(severity: Severity | str, lang: str) -> str:
    zh, en = _SEVERITY[Severity(severity)]
    return zh if lang == "zh" else en


def display_width(value: object) -> int:
    """Columns a string takes on a terminal or in a spreadsheet cell: 中文 counts twice."""
    shown = "" if value is None else str(value)
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in shown)


def pad(value: str, width: int, right: bool = False) -> str:
    """`value` padded with spaces to `width` display columns (right-aligned on request)."""
    gap = " " * max(0, width - display_width(value))
    return gap + value if right else value + gap
