"""Reading schemathesis's JUnit report (tests/support/fuzz_report.py), with a report as
schemathesis 4 writes it."""

from pathlib import Path

from tests.support.fuzz_report import read_junit

REPORT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites errors="1" failures="2" skipped="0" tests="4" time="0.27">
  <testsuite name="schemathesis" errors="1" failures="2" skipped="0" tests="4" time="0.27">
    <testcase name="GET /api/v1/projects" time="0.24">
      <failure type="failure" message="ST101">1. Test Case ID: n0NqYL

- ST101 Server error

[502] Bad Gateway:

    `{"type":"https://ai-studio.dev/problems/upstream-unavailable","status":502,"code":"upstream-unavailable"}`

Reproduce with:

    curl -X GET http://127.0.0.1:18765/api/v1/projects</failure>
    </testcase>
    <testcase name="GET /api/v1/models" time="0.02">
      <failure type="failure" message="ST101">1. Test Case ID: KLAjz6

- ST101 Server error

[500] Internal Server Error:

    `{"a":1}`

Reproduce with:

    curl -X GET http://127.0.0.1:18765/api/v1/models</failure>
    </testcase>
    <testcase name="POST /api/v1/tokens" time="0.01">
      <error type="error" message="network">Connection refused</error>
    </testcase>
    <testcase name="GET /api/v1/me" time="0.01"/>
  </testsuite>
</testsuites>
"""


def test_failures_and_errors_are_read_per_operation(tmp_path: Path) -> None:
    path = tmp_path / "junit.xml"
    path.write_text(REPORT)
    report = read_junit(path)
    assert report.operations == 4
    assert [(f.operation, f.codes) for f in report.failures] == [
        ("GET /api/v1/projects", "ST101"),
        ("GET /api/v1/models", "ST101"),
    ]
    assert [(e.operation, e.text) for e in report.errors] == [
        ("POST /api/v1/tokens", "Connection refused")
    ]


def test_a_gateway_502_upstream_unavailable_is_told_apart(tmp_path: Path) -> None:
    path = tmp_path / "junit.xml"
    path.write_text(REPORT)
    bad_gateway, server_error = read_junit(path).failures
    assert bad_gateway.statuses == {"502"}
    assert bad_gateway.only_upstream_unavailable
    assert server_error.statuses == {"500"}
    assert not server_error.only_upstream_unavailable


def test_a_missing_or_truncated_report_has_no_operations(tmp_path: Path) -> None:
    assert read_junit(tmp_path / "missing.xml").operations == 0
    cut = tmp_path / "cut.xml"
    cut.write_text(REPORT[:200])
    assert read_junit(cut).operations == 0
