"""Reading schemathesis's JUnit report: what the fuzz test decides on, instead of the tool's
exit code (which is also non-zero when the tool itself breaks)."""

import re
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

_STATUS = re.compile(r"^\[(\d{3})\] ", re.MULTILINE)


@dataclass(frozen=True)
class FuzzFailure:
    operation: str
    """schemathesis's label, ``METHOD /path``."""
    codes: str
    """schemathesis's check codes, e.g. ``ST101`` (server error)."""
    text: str

    @property
    def statuses(self) -> set[str]:
        """The HTTP statuses of the answers the failure shows."""
        return set(_STATUS.findall(self.text))

    @property
    def only_upstream_unavailable(self) -> bool:
        """Every answer found wrong is the gateway's 502 "upstream-unavailable": the gateway
        could not talk to a service, rather than a service answering wrongly."""
        return self.statuses == {"502"} and "upstream-unavailable" in self.text

    def describe(self) -> str:
        return f"{self.operation} [{self.codes}]\n{self.text}"


@dataclass(frozen=True)
class FuzzReport:
    operations: int
    """Operations in the report (0: there was no report)."""
    failures: list[FuzzFailure]
    errors: list[FuzzFailure]


def read_junit(path: Path) -> FuzzReport:
    """The report at ``path``; an empty one when the file is missing or cut short."""
    try:
        root = ElementTree.parse(path).getroot()
    except (OSError, ElementTree.ParseError):
        return FuzzReport(0, [], [])
    failures: list[FuzzFailure] = []
    errors: list[FuzzFailure] = []
    operations = 0
    for case in root.iter("testcase"):
        operations += 1
        name = case.get("name", "?")
        for kind, found in (("failure", failures), ("error", errors)):
            for element in case.findall(kind):
                found.append(FuzzFailure(name, element.get("message", ""), element.text or ""))
    return FuzzReport(operations, failures, errors)
