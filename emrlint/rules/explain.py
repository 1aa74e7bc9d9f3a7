"""`emrlint explain` and `emrlint rules --format json`: a rule described from its compiled form
(never a second parse of its text)."""

from __future__ import annotations

from typing import Any

from emrlint.rules.compiler import CompiledRule, ParamSpec
from emrlint.rules.values import format_value

__all__ = ["explain_rule", "rule_summary"]

_SUBJECT_WORDS = {
    "episode": "once per episode",
    "day": "once per calendar day of the stay",
    "week": "once per 7-day week of the stay (from the admission day)",
}


def rule_summary(
    rule: CompiledRule, specs: dict[str, ParamSpec], values: dict[str, Any]
) -> dict[str, Any]:
    return {
        "id": rule.id,
        "version": rule.version,
        "title": {"zh": rule.title_zh, "en": rule.title_en},
        "severity": rule.severity.value,
        "category": rule.category,
        "tags": list(rule.tags),
        "citation": rule.citation,
        "provisional": rule.provisional,
        "valid_from": rule.valid_from.isoformat() if rule.valid_from else None,
        "valid_to": rule.valid_to.isoformat() if rule.valid_to else None,
        "rulebook": rule.rulebook,
        "source": f"{rule.source_file}:{rule.source_line}",
        "parameters": [
            {
                "name": name,
                "default": format_value(specs[name].default),
                "value": format_value(values.get(name, specs[name].default)),
                "description": specs[name].description,
            }
            for name in rule.params_used
            if name in specs
        ],
        "examples": [
            {"name": example.name, "expect": [e.status for e in example.expects]}
            for example in rule.examples
        ],
    }


def explain_rule(rule: CompiledRule, specs: dict[str, ParamSpec], values: dict[str, Any]) -> str:
    lines = [
        f"{rule.id} (version {rule.version})",
        f"  {rule.title_zh}",
        f"  {rule.title_en}",
        "",
        f"severity   {rule.severity.value}",
        f"category   {rule.category}",
        f"tags       {' '.join(rule.tags)}",
        f"cites      {rule.citation}",
        f"in force   {_validity(rule)}",
        f"source     {rule.source_file}:{rule.source_line}",
    ]
    if rule.why:
        lines.append(f"why        {rule.why}")
    if rule.provisional:
        lines.append(f"PROVISIONAL: {rule.provisional}")
    lines += ["", "How it is judged:"]
    subject = rule.subject
    lines.append(
        "  "
        + _SUBJECT_WORDS.get(
            subject.collection,
            f"once per {subject.collection} in the episode"
            + (f" of kind {', '.join(sorted(subject.kinds))}" if subject.kinds else ""),
        )
    )
    if rule.whens:
        lines.append("  only for episodes that satisfy the rule's `when` condition (else NA)")
    requirement = rule.requirement
    if requirement.mode == "items":
        verb = "must not exist" if requirement.negate else "must exist"
        searched = ", ".join(requirement.searched)
        lines.append(f"  {searched} {verb}, {requirement.description}")
        lines.append(
            "  times are exact; bounds are inclusive; d/w are elapsed 24 h / 7 x 24 h;"
            " workdays end at the last moment of the n-th statutory working day"
        )
    else:
        lines.append(f"  {requirement.description}")
    lines.append(
        "  unmet before the deadline: PENDING; unmet after it: FAIL; "
        "missing or day-only data that matters: INDETERMINATE"
    )
    if rule.params_used:
        lines += ["", "Parameters:"]
        for name in rule.params_used:
            spec = specs.get(name)
            if spec is None:
                continue
            current = values.get(name, spec.default)
            note = "" if current == spec.default else f" (default {format_value(spec.default)})"
            lines.append(f"  {name} = {format_value(current)}{note}  {spec.description or ''}")
    lines += ["", "Rule text and examples:", ""]
    lines += ["    " + line for line in rule.source_text.splitlines()]
    return "\n".join(lines) + "\n"


def _validity(rule: CompiledRule) -> str:
    start = rule.valid_from.isoformat() if rule.valid_from else "always"
    if rule.valid_to is None:
        return f"from {start}, until further notice"
    return f"from {start} to {rule.valid_to.isoformat()} (exclusive)"
