"""A RateReport as a FHIR R4 `MeasureReport` (type summary), for systems that collect quality
measures in FHIR. Each rate row id (a rule, a tag, the NIT-2024-VIII composite, all rules) is
one group; the `by` dimensions form one stratifier whose strata carry the same counts.

Populations follow FHIR's proportion scoring, score = numerator / (denominator − exclusions −
exceptions):

  initial-population     every subject (all six statuses)
  denominator            the same subjects
  denominator-exclusion  NA
  denominator-exception  the rest that is neither PASS nor FAIL (PENDING, INDETERMINATE,
                         WAIVED); 0 for the composite, whose denominator keeps them
  numerator              PASS
plus one population per status in the `urn:emrlint:population` code system, so PENDING,
INDETERMINATE and WAIVED stay separate. The score is emrlint's rate, never recomputed here.
Builds a plain dict; validating it against FHIR is the tests' job, not a dependency.
"""

from __future__ import annotations

from typing import Any

from emrlint.outcomes import Status
from emrlint.reporters.labels import dimension_label, text
from emrlint.reporters.rates import RateReport, RateRow

__all__ = ["MEASURE_URL", "measure_report"]

MEASURE_URL = "urn:emrlint:measure:compliance-rates"
_POPULATION = "http://terminology.hl7.org/CodeSystem/measure-population"
_EMRLINT_POPULATION = "urn:emrlint:population"
_GROUP_SYSTEM = "urn:emrlint:rate-row"
_EXTENSION = "urn:emrlint:extension"
_STATUS_CODES = (
    Status.PASS,
    Status.FAIL,
    Status.PENDING,
    Status.INDETERMINATE,
    Status.NA,
    Status.WAIVED,
)


def _population(system: str, code: str, count: int) -> dict[str, Any]:
    return {"code": {"coding": [{"system": system, "code": code}]}, "count": count}


def _populations(row: RateRow) -> list[dict[str, Any]]:
    exclusions = row.na
    exceptions = row.subjects - row.na - row.denominator
    populations = [
        _population(_POPULATION, "initial-population", row.subjects),
        _population(_POPULATION, "denominator", row.subjects),
        _population(_POPULATION, "denominator-exclusion", exclusions),
        _population(_POPULATION, "denominator-exception", exceptions),
        _population(_POPULATION, "numerator", row.numerator),
    ]
    populations.extend(
        _population(_EMRLINT_POPULATION, status.value.lower(), row.count(status))
        for status in _STATUS_CODES
    )
    return populations


def _score(row: RateRow) -> dict[str, Any]:
    rate = row.rate
    return {} if rate is None else {"measureScore": {"value": round(rate, 6)}}


def _stratum(report: RateReport, row: RateRow, lang: str) -> dict[str, Any]:
    values = [
        {"text": value if value is not None else text("unknown", lang)} for value in row.stratum
    ]
    shape: dict[str, Any]
    if len(values) == 1:
        shape = {"value": values[0]}
    else:
        shape = {
            "component": [
                {"code": {"text": name}, "value": value}
                for name, value in zip(report.by, values, strict=True)
            ]
        }
    return {**shape, "population": _populations(row), **_score(row)}


def _group(report: RateReport, total: RateRow, lang: str) -> dict[str, Any]:
    name = total.name(lang) or total.id
    group: dict[str, Any] = {
        "code": {
            "coding": [{"system": f"{_GROUP_SYSTEM}:{total.kind}", "code": total.id}],
            "text": f"{total.id} {name}" if name != total.id else total.id,
        },
        "population": _populations(total),
        **_score(total),
    }
    strata = report.strata(total.kind, total.id)
    if report.by and strata:
        group["stratifier"] = [
            {
                "code": [
                    {
                        "coding": [{"system": f"{_EXTENSION}:dimension", "code": name}],
                        "text": dimension_label(name, lang),
                    }
                    for name in report.by
                ],
                "stratum": [_stratum(report, row, lang) for row in strata],
            }
        ]
    return group


def measure_report(report: RateReport, lang: str = "zh") -> dict[str, Any]:
    """The MeasureReport resource as a JSON-ready dict."""
    period: dict[str, str] = {}
    if report.period_start is not None and report.period_end is not None:
        period = {"start": report.period_start.isoformat(), "end": report.period_end.isoformat()}
    elif report.as_of is not None:  # no episode to date the period by: the evaluation day
        day = report.as_of.date().isoformat()
        period = {"start": day, "end": day}
    resource: dict[str, Any] = {
        "resourceType": "MeasureReport",
        "status": "complete",
        "type": "summary",
        "measure": MEASURE_URL,
        "period": period,
        "extension": [
            {"url": f"{_EXTENSION}:episodes", "valueInteger": report.episodes},
            {"url": f"{_EXTENSION}:input-problems", "valueInteger": report.input_problems},
        ],
        "improvementNotation": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/measure-improvement-notation",
                    "code": "increase",
                }
            ]
        },
        "group": [_group(report, total, lang) for total in report.totals()],
    }
    if report.as_of is not None:
        resource["date"] = report.as_of.isoformat()
    if not period:  # FHIR requires a period; a run with no episode and no as_of has none
        del resource["period"]
    return resource
