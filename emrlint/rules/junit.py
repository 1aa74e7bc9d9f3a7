"""JUnit XML for rule examples, so CI systems can show `emrlint test` results."""

from __future__ import annotations

from collections.abc import Sequence
from xml.etree import ElementTree

from emrlint.rules.examples import ExampleResult

__all__ = ["junit_xml"]


def junit_xml(results: Sequence[ExampleResult]) -> str:
    failures = sum(1 for r in results if not r.passed)
    suite = ElementTree.Element(
        "testsuite", name="emrlint-rule-examples", tests=str(len(results)), failures=str(failures)
    )
    for result in results:
        case = ElementTree.SubElement(
            suite,
            "testcase",
            classname=result.rule_id,
            name=result.example,
            file=result.file,
            line=str(result.line),
        )
        if not result.passed:
            failure = ElementTree.SubElement(case, "failure", message=result.detail)
            failure.text = f"{result.file}:{result.line}: {result.detail}"
    return ElementTree.tostring(suite, encoding="unicode", xml_declaration=True)
