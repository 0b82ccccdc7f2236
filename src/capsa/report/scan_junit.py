"""A scan as JUnit XML, for CI systems that show test reports (GitLab, Jenkins, Azure).

One test suite per check; one test case per resource the check ran on: a finding is a
`<failure>` (its severity is the failure's type), a suppressed finding or a result the
check could not decide is `<skipped>` with the reason, a pass is a plain test case. Input
errors form one more suite, `capsa inputs`, each an `<error>`. Element and attribute names
follow the widely read Ant/Jenkins JUnit format (testsuites > testsuite > testcase).
"""

from __future__ import annotations

from collections import defaultdict
from xml.etree import ElementTree as ET

from capsa import __version__
from capsa.checks.findings import CheckResult, Finding, Location, ResourceRef
from capsa.scan.locations import rebased
from capsa.scan.result import ScanResult


def _where(location: Location) -> str:
    return location.label


def _case(suite: ET.Element, check: str, resource: ResourceRef, location: Location) -> ET.Element:
    return ET.SubElement(
        suite,
        "testcase",
        {"classname": check, "name": resource.label, "file": location.path},
    )


def _failure(case: ET.Element, finding: Finding) -> None:
    if finding.suppressed:
        ET.SubElement(
            case, "skipped", {"message": f"suppressed: {finding.suppression_reason or ''}"}
        )
        return
    failure = ET.SubElement(
        case,
        "failure",
        {"message": finding.title, "type": finding.severity.value},
    )
    failure.text = "\n".join(
        (
            f"{finding.severity.value}: {finding.message}",
            f"at {_where(finding.location)}",
            f"fix: {finding.remediation}",
            f"fingerprint: {finding.fingerprint}",
        )
    )


def render_junit(result: ScanResult) -> str:
    result = rebased(result)  # locations relative to the scan root
    findings: dict[str, list[Finding]] = defaultdict(list)
    passes: dict[str, list[CheckResult]] = defaultdict(list)
    unknown: dict[str, list[CheckResult]] = defaultdict(list)
    for f in result.findings:
        findings[f.check_id].append(f)
    for r in result.passes:
        passes[r.check_id].append(r)
    for r in result.unknown:
        unknown[r.check_id].append(r)
    root = ET.Element("testsuites", {"name": f"capsa {__version__}"})
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for check in sorted(findings.keys() | passes.keys() | unknown.keys()):
        suite = ET.SubElement(root, "testsuite", {"name": check})
        counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        for f in findings[check]:
            _failure(_case(suite, check, f.resource, f.location), f)
            counts["tests"] += 1
            counts["skipped" if f.suppressed else "failures"] += 1
        for r in unknown[check]:
            case = _case(suite, check, r.resource, r.location)
            ET.SubElement(case, "skipped", {"message": f"undecided: {r.reason or ''}"})
            counts["tests"] += 1
            counts["skipped"] += 1
        for r in passes[check]:
            _case(suite, check, r.resource, r.location)
            counts["tests"] += 1
        for key, value in counts.items():
            suite.set(key, str(value))
            totals[key] += value
    if result.errors:
        suite = ET.SubElement(root, "testsuite", {"name": "capsa inputs"})
        for problem in result.errors:
            case = ET.SubElement(
                suite, "testcase", {"classname": "capsa inputs", "name": problem.path}
            )
            ET.SubElement(case, "error", {"message": str(problem)})
        count = len(result.errors)
        for key, value in {"tests": count, "failures": 0, "errors": count, "skipped": 0}.items():
            suite.set(key, str(value))
            totals[key] += value
    for key, value in totals.items():
        root.set(key, str(value))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")
