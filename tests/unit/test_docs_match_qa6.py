"""README's configuration tables against the code: every setting a service, the launcher or the
CLI reads is documented under its real name with its real default, for the services that
really read it; and no variable the docs name is gone from the code."""

import ast
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pydantic import AliasChoices, SecretStr
from pydantic_core import PydanticUndefined
from pydantic_settings import BaseSettings
from studio_assets.settings import AssetsSettings
from studio_catalog.settings import CatalogSettings
from studio_contracts import asyncapi, events
from studio_gateway.openapi.document import merge
from studio_gateway.proxy.routes import ROUTES
from studio_gateway.settings import GatewaySettings
from studio_generation.settings import GenerationSettings, WorkerSettings
from studio_projects.main import create_app as create_projects
from studio_projects.settings import ProjectsSettings
from studio_runtime.serve import ProxySettings

from tests.support.apps import make_settings

ROOT = Path(__file__).parents[2]
README = ROOT / "README.md"
LAUNCHER = ROOT / "libs" / "devtools" / "src" / "studio_devtools" / "stack.py"
CLI_SOURCES = ROOT / "libs" / "cli" / "src" / "studio_cli"
CLI_DOC = ROOT / "docs" / "cli.md"

SERVICES: dict[str, type[BaseSettings]] = {
    "gateway": GatewaySettings,
    "projects": ProjectsSettings,
    "catalog": CatalogSettings,
    "assets": AssetsSettings,
    "generation api": GenerationSettings,
    "worker": WorkerSettings,
}
# Read by every service's server (studio_runtime.serve), outside the service's own class.
EVERY_SERVICE: tuple[type[BaseSettings], ...] = (ProxySettings,)
# "generation" in the used-by column means both of its processes.
SERVICE_WORDS = {**{name: {name} for name in SERVICES}, "generation": {"generation api", "worker"}}
SERVICE_WORDS["all"] = set(SERVICES)

NAME = re.compile(r"`((?:STUDIO_)?[A-Z][A-Z0-9_]*)`")
BACKTICKED = re.compile(r"`([^`]*)`")
CELL_SPLIT = re.compile(r"(?<!\\)\|")


@dataclass(frozen=True)
class Row:
    names: list[str]
    default: str
    used_by: str


def _section(text: str, heading: str) -> str:
    start = text.index(f"\n## {heading}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def _tables(section: str) -> list[list[list[str]]]:
    """Each markdown table of `section` as its body rows' cells (header and rule left out)."""
    tables: list[list[list[str]]] = []
    current: list[list[str]] | None = None
    for line in section.splitlines():
        if not line.startswith("|"):
            current = None
            continue
        cells = [cell.strip() for cell in CELL_SPLIT.split(line.strip())[1:-1]]
        if current is None:
            current = []
            tables.append(current)
            continue  # the header
        if set("".join(cells)) <= set("-: "):
            continue
        current.append(cells)
    return tables


def _readme_tables() -> tuple[list[Row], list[Row]]:
    services, launcher = _tables(_section(README.read_text(), "Configuration"))
    return (
        [Row(NAME.findall(c[0]), c[1], c[2]) for c in services],
        [Row(NAME.findall(c[0]), c[1], "") for c in launcher],
    )


def _env_names(cls: type[BaseSettings], field: str) -> list[str]:
    alias = cls.model_fields[field].validation_alias
    if isinstance(alias, AliasChoices):
        return [str(choice) for choice in alias.choices]
    prefix = str(cls.model_config.get("env_prefix", ""))
    return [f"{prefix}{field}".upper()]


def _code_settings() -> dict[str, dict[str, Any]]:
    """Env name -> {reader service: its default}."""
    found: dict[str, dict[str, Any]] = {}
    readers = [(service, cls) for service, cls in SERVICES.items()]
    readers += [(service, cls) for cls in EVERY_SERVICE for service in SERVICES]
    for service, cls in readers:
        for field, info in cls.model_fields.items():
            default = info.get_default(call_default_factory=True)
            for env in _env_names(cls, field):
                found.setdefault(env, {})[service] = default
    return found


def _documented_values(row: Row) -> dict[str, str]:
    """Name -> the documented default: the cell's backticked values in the names' order, or
    its one value for every name; a cell without backticks is prose (`empty`, `unset`)."""
    values = BACKTICKED.findall(row.default)
    if row.default.startswith("none") or not values:
        values = [row.default.split("(")[0].strip()]
    if len(values) < len(row.names):
        values = values[:1] * len(row.names)
    return dict(zip(row.names, values, strict=False))


def _matches(documented: str, actual: Any) -> bool:
    if actual is PydanticUndefined:
        return documented.startswith("none")
    if isinstance(actual, SecretStr):
        actual = actual.get_secret_value()
    if actual is None:
        return documented == "unset"
    if isinstance(actual, bool):
        return documented in (("1", "true") if actual else ("0", "false"))
    if isinstance(actual, Path):
        # The packaged data: documented by its place in the package.
        return actual.as_posix().endswith("/" + documented.strip("/"))
    if actual == "":
        return documented == "empty"
    if isinstance(actual, int | float):
        try:
            return float(documented) == float(actual)
        except ValueError:
            return False
    if isinstance(actual, dict):
        return bool(json.loads(documented) == actual)
    return bool(documented == str(actual))


def test_every_setting_the_services_read_is_in_the_readme_and_nothing_more() -> None:
    rows, _ = _readme_tables()
    documented = [name for row in rows for name in row.names]
    assert len(documented) == len(set(documented)), "a variable is in two rows"
    assert set(documented) == set(_code_settings())


def test_the_readme_defaults_are_the_code_defaults() -> None:
    code = _code_settings()
    wrong: list[str] = []
    for row in _readme_tables()[0]:
        for name, value in _documented_values(row).items():
            if name == "STUDIO_PORT":
                continue  # one per service: the next test
            if name == "STUDIO_MONGO_DB":
                expected = {s: f"studio_{_package(s)}" for s in code[name]}
                if code[name] != expected or value != "studio_<service>":
                    wrong.append(f"{name}: {value!r} vs {code[name]}")
                continue
            for service, default in code[name].items():
                if not _matches(value, default):
                    wrong.append(f"{name}: README {value!r}, {service} {default!r}")
    assert not wrong, "\n".join(wrong)


def _package(service: str) -> str:
    return "generation" if service in SERVICE_WORDS["generation"] else service


def test_the_readme_port_of_each_service_is_its_default() -> None:
    (row,) = [row for row in _readme_tables()[0] if row.names == ["STUDIO_PORT"]]
    documented = {name: int(port) for name, port in re.findall(r"(\w+) (\d+)", row.default)}
    actual = {
        service.split()[0]: cls.model_fields["port"].default for service, cls in SERVICES.items()
    }
    assert documented == actual


def test_the_services_the_readme_says_read_a_setting_do() -> None:
    code = _code_settings()
    wrong: list[str] = []
    for row in _readme_tables()[0]:
        words = [
            w.strip() for w in re.sub(r"\(.*?\)", "", row.used_by).replace(";", ",").split(",")
        ]
        claimed = set().union(*(SERVICE_WORDS[w] for w in words if w))
        for name in row.names:
            if not claimed <= set(code[name]):
                wrong.append(f"{name}: README says {sorted(claimed)}, read by {sorted(code[name])}")
            # A service that really uses it must be named (the worker inherits the API's
            # settings it does not use, so "generation" names the API for it).
            readers = {s for s in code[name] if s != "worker" or name not in _api_only_names()}
            if name == "STUDIO_NATS_STREAM_REPLICAS":
                readers.discard("gateway")  # it owns no stream: the field is only inherited
            missing = readers - claimed
            if missing:
                wrong.append(f"{name}: read by {sorted(missing)}, not in the README's row")
    assert not wrong, "\n".join(wrong)


def _api_only_names() -> set[str]:
    api = {
        env for f in GenerationSettings.model_fields for env in _env_names(GenerationSettings, f)
    }
    shared = {env for f in ProjectsSettings.model_fields for env in _env_names(ProjectsSettings, f)}
    return api - shared


def _launcher_reads() -> dict[str, str | None]:
    """`os.environ.get("STUDIO_X"[, default])` and `_port("STUDIO_X", default)` in the
    launcher: name -> default (None: unset)."""
    reads: dict[str, str | None] = {}
    for node in ast.walk(ast.parse(LAUNCHER.read_text())):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        environ_get = (
            isinstance(node.func, ast.Attribute)
            and node.func.attr == "get"
            and ast.unparse(node.func.value) == "os.environ"
        )
        port = isinstance(node.func, ast.Name) and node.func.id == "_port"
        if (environ_get or port) and isinstance(node.args[0], ast.Constant):
            name = ast.literal_eval(node.args[0])
            default = ast.literal_eval(node.args[1]) if len(node.args) > 1 else None
            reads[name] = None if default is None else str(default)
    return reads


def test_the_launcher_table_is_what_make_run_reads() -> None:
    reads = _launcher_reads()
    documented: dict[str, str] = {}
    for row in _readme_tables()[1]:
        documented.update(_documented_values(row))
    assert set(documented) == set(reads)
    for name, default in reads.items():
        assert documented[name] == ("unset" if default is None else default), name


def test_every_variable_the_cli_reads_is_in_its_page() -> None:
    source = "\n".join(path.read_text() for path in CLI_SOURCES.rglob("*.py"))
    read = set(re.findall(r'envvar="(STUDIO_\w+)"', source))
    read |= set(re.findall(r'os\.environ\.get\("(STUDIO_\w+)"', source))
    assert read >= {"STUDIO_URL", "STUDIO_TOKEN"}
    page = CLI_DOC.read_text()
    assert {name for name in read if f"`{name}`" not in page} == set()


@pytest.mark.parametrize(
    "page", [README, *sorted((ROOT / "docs").glob("*.md"))], ids=lambda path: path.name
)
def test_every_variable_a_page_names_is_read_somewhere(page: Path) -> None:
    """A renamed or removed setting must not linger in the docs."""
    code = "\n".join(
        path.read_text()
        for top in ("libs", "services", "tests")
        for path in (ROOT / top).rglob("*.py")
        if path.name != Path(__file__).name
    )
    code += (ROOT / "docker-compose.yml").read_text()
    known = set(_code_settings()) | set(re.findall(r"STUDIO_[A-Z0-9_]*[A-Z0-9]", code))
    named = set(re.findall(r"STUDIO_[A-Z0-9_]*[A-Z0-9]", page.read_text()))
    assert named - known == set()


def test_the_event_subscriber_example_points_at_the_nats_of_make_run() -> None:
    """docs/events.md's command, and the example's own default, reach the NATS `make run`
    starts: a reader runs it beside `make run`, not beside a NATS on the standard port."""
    port = _launcher_reads()["STUDIO_EMBEDDED_NATS_PORT"]
    page = (ROOT / "docs" / "events.md").read_text()
    (command,) = [
        line
        for line in page.splitlines()
        if "examples/completed_subscriber.py" in line and line.startswith("NATS_URL=")
    ]
    assert command.startswith(f"NATS_URL=nats://127.0.0.1:{port} uv run python ")
    example = (ROOT / "examples" / "completed_subscriber.py").read_text()
    assert f'os.environ.get("NATS_URL", "nats://127.0.0.1:{port}")' in example


def test_the_projects_api_document_says_every_write_may_answer_503() -> None:
    """Every project and template write must be announced, so each may answer 503 when NATS
    is down (docs/projects.md); the OpenAPI document has to say so for clients."""
    paths = create_projects(make_settings(ProjectsSettings)).openapi()["paths"]
    writes = {
        (method.upper(), path): operation["responses"]
        for path, operations in paths.items()
        for method, operation in operations.items()
        if method in ("post", "patch", "delete")
    }
    assert {route for route, answers in writes.items() if "503" not in answers} == set()


def test_every_tracing_variable_is_in_the_operations_page() -> None:
    source = (ROOT / "libs" / "runtime" / "src" / "studio_runtime" / "tracing.py").read_text()
    read = set(re.findall(r'environ\.get\("(OTEL_\w+)"', source))
    assert "OTEL_EXPORTER_OTLP_ENDPOINT" in read
    page = (ROOT / "docs" / "operations.md").read_text()
    assert {name for name in read if f"`{name}`" not in page} == set()


def test_the_api_document_lists_the_gateways_refusals_of_a_body() -> None:
    """The gateway answers 408 for any body that stops arriving and 411 for an upload without
    `Content-Length` (docs/gateway.md); the public document must list them where they apply."""
    json_body = {"content": {"application/json": {"schema": {"type": "object"}}}}
    upload = {"content": {"multipart/form-data": {"schema": {"type": "object"}}}}
    created = {"201": {"description": "created"}}
    services: dict[str, dict[str, Any]] = {
        "projects": {
            "paths": {
                "/api/v1/projects": {
                    "post": {"requestBody": json_body, "responses": created},
                    "get": {"responses": {"200": {"description": "ok"}}},
                }
            }
        },
        "assets": {
            "paths": {
                "/api/v1/projects/{project_id}/assets": {
                    "post": {"requestBody": upload, "responses": created}
                }
            }
        },
    }
    own = {"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {}}
    paths = merge(own, services, ROUTES)["paths"]
    assert {"408"} <= set(paths["/api/v1/projects"]["post"]["responses"])
    assert "411" not in paths["/api/v1/projects"]["post"]["responses"]
    assert not {"408", "411"} & set(paths["/api/v1/projects"]["get"]["responses"])
    assert {"408", "411"} <= set(paths["/api/v1/projects/{project_id}/assets"]["post"]["responses"])


def _problem_types() -> set[str]:
    """The `type` names the code can answer with: each error class's `code`, and each
    `problem_response(..., code=...)` (a failed generation's error codes are not these)."""
    names: set[str] = set()
    for top in ("libs", "services"):
        for path in (ROOT / top).rglob("*.py"):
            text = path.read_text()
            names |= set(re.findall(r'^\s+code = "([a-z-]+)"$', text, re.MULTILINE))
            for call in re.findall(r"problem_response\((.*?)\)\(?", text, re.DOTALL):
                names |= set(re.findall(r'code="([a-z-]+)"', call))
    return names


def test_every_problem_type_is_in_the_gateway_page() -> None:
    page = (ROOT / "docs" / "gateway.md").read_text()
    table = _section(page, "Conventions of the public API")
    documented = set(re.findall(r"^\| \d{3} \| `([a-z-]+)` \|", table, re.MULTILINE))
    found = _problem_types()
    assert {"not-found", "invalid-input", "upstream-timeout"} <= found
    assert documented == found


ENVELOPE = ["event_id", "occurred_at", "user_id", "request_id", "trace_id"]
SUBJECT = re.compile(r"`([a-z]+\.[a-z]+)`")


def test_every_stored_subject_and_its_fields_are_in_the_events_page() -> None:
    """docs/events.md's tables against the AsyncAPI document (built from the event models):
    every subject in the catalogue, the envelope, and each subject's own fields."""
    document = asyncapi.document()
    schemas = document["components"]["schemas"]
    messages = document["components"]["messages"]
    catalogue = _section((ROOT / "docs" / "events.md").read_text(), "Catalogue")
    subjects_table, fields_table = _tables(catalogue)
    listed = {name for cells in subjects_table for name in SUBJECT.findall(cells[0])}
    described = {
        name: re.findall(r"`([a-z_]+)`", cells[1])
        for cells in fields_table
        for name in SUBJECT.findall(cells[0])
    }
    actual: dict[str, list[str]] = {}
    for channel in document["channels"].values():
        for reference in channel["messages"].values():
            payload = messages[reference["$ref"].rsplit("/", 1)[-1]]["payload"]
            if "$ref" in payload:
                payload = schemas[payload["$ref"].rsplit("/", 1)[-1]]
            properties = list(payload["properties"])
            assert properties[: len(ENVELOPE)] == ENVELOPE, channel["address"]
            actual[channel["address"]] = properties[len(ENVELOPE) :]
    assert listed == set(actual)
    assert all(f"`{name}`" in catalogue for name in ENVELOPE)
    assert described == actual
    (completed,) = [cells[1] for cells in fields_table if "generation.completed" in cells[0]]
    (outputs,) = re.findall(r"\[\{([^}]*)\}\]", completed)
    assert [name.strip() for name in outputs.split(",")] == list(events.OutputFile.model_fields)
