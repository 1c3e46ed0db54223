"""The Grafana dashboard in deploy/ charts only metrics the services really export, with the
labels they really have."""

import json
import re
from pathlib import Path

import stamina.instrumentation

ROOT = Path(__file__).parents[2]
DASHBOARD = json.loads((ROOT / "deploy" / "grafana" / "ai-studio.json").read_text())
DECLARATION = re.compile(
    r'(Counter|Gauge|Histogram)\(\s*"(?P<name>[a-z_]+)",\s*"[^"]*"(?:,\s*\[(?P<labels>[^\]]*)\])?',
    re.S,
)
SUFFIXES = ("_bucket", "_count", "_sum")


def _declared() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in [*ROOT.glob("libs/*/src/**/*.py"), *ROOT.glob("services/*/src/**/*.py")]:
        for match in DECLARATION.finditer(path.read_text()):
            labels = set(re.findall(r'"([a-z_]+)"', match["labels"] or ""))
            if match[1] == "Histogram":
                labels.add("le")
            found[match["name"]] = labels
    retries = stamina.instrumentation.get_prometheus_counter()
    assert retries is not None
    found[f"{retries._name}_total"] = set(retries._labelnames)
    return found


def _exprs() -> list[str]:
    return [target["expr"] for panel in DASHBOARD["panels"] for target in panel["targets"]]


def _metric(name: str, declared: dict[str, set[str]]) -> str:
    base = next((name.removesuffix(s) for s in SUFFIXES if name.endswith(s)), name)
    return base if base in declared else f"{base}_total"


def test_every_charted_metric_is_exported_with_those_labels() -> None:
    declared = _declared()
    assert "studio_generations_total" in declared
    for expr in _exprs():
        metrics = {_metric(n, declared) for n in re.findall(r"\b((?:studio|stamina)_\w+)", expr)}
        assert metrics, expr
        for metric in metrics:
            assert metric in declared, f"{metric} in {expr!r} is not exported"
        grouped = {g.strip() for by in re.findall(r"by \(([^)]*)\)", expr) for g in by.split(",")}
        matched = set(re.findall(r"[{,]\s*(\w+)=", expr))
        known = set().union(*(declared[m] for m in metrics))
        # `instance` and `job` are added by Prometheus when it scrapes.
        assert grouped | matched <= known | {"instance", "job"}, expr


def test_the_dashboard_is_importable() -> None:
    assert DASHBOARD["uid"] and DASHBOARD["title"]
    ids = [panel["id"] for panel in DASHBOARD["panels"]]
    assert len(ids) == len(set(ids))
    for panel in DASHBOARD["panels"]:
        assert panel["datasource"]["uid"] == "${datasource}"
        assert panel["targets"], panel["title"]
