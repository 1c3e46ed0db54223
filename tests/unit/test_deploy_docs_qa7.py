"""docs/deploy.md held to deploy/ and the rendered overlays, as the seventh QA pass checked it:
the files its tree lists, the paths its commands use (the Secret's env file stays out of git),
and the numbers it states (replicas, worker scaling, ports, grace periods, ingress limits).
test_deploy_manifests.py checks the manifests themselves; this checks what the page says of
them."""

import fnmatch
import re
from pathlib import Path
from typing import Any

import pytest

from tests.unit.test_deploy_manifests import DEPLOY, ROOT, container, of_kind

PAGE = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
OPERATIONS = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
API_SERVICES = ("gateway", "projects", "catalog", "generation-api", "assets")


def _tree_paths() -> set[str]:
    """The files the page's `deploy/` tree names, as paths below deploy/."""
    block = re.search(r"```\ndeploy/\n(.*?)```", PAGE, re.S)
    assert block, "docs/deploy.md lost its deploy/ tree"
    paths: set[str] = set()
    stack: list[tuple[int, str]] = []
    for line in block.group(1).splitlines():
        match = re.match(r"( +)(\S+)", line)
        # Continuation lines of a description start with a word, not a file or folder name.
        if not match or not re.search(r"[./]", match.group(2)):
            continue
        indent, name = len(match.group(1)), match.group(2)
        while stack and stack[-1][0] >= indent:
            stack.pop()
        path = "/".join([*(part for _, part in stack), name.rstrip("/")])
        if name.endswith("/"):
            stack.append((indent, name.rstrip("/")))
        paths.add(path)
    return paths


def test_the_tree_names_every_file_in_deploy() -> None:
    named = _tree_paths()
    files = {str(p.relative_to(DEPLOY)) for p in DEPLOY.rglob("*") if p.is_file()}
    dirs = {str(p.relative_to(DEPLOY)) for p in DEPLOY.rglob("*") if p.is_dir()}
    # A directory whose files the tree does not list one by one (an overlay) counts as named.
    unnamed = {
        f for f in files if f not in named and not any(f.startswith(d + "/") for d in named & dirs)
    }
    assert not unnamed, f"files in deploy/ the page's tree leaves out: {sorted(unnamed)}"
    assert not named - files - dirs, (
        f"the tree names what is not there: {sorted(named - files - dirs)}"
    )


def test_every_repository_path_the_page_names_exists() -> None:
    for path in sorted(set(re.findall(r"`((?:deploy|tests|docs)/[\w./-]+)`", PAGE))):
        target = path.split("::")[0].rstrip("/")
        if "<" in target or target.startswith("deploy/secret.env"):
            continue  # a placeholder, or the file the reader makes from the example
        assert (ROOT / target).exists(), f"docs/deploy.md names {path}, which does not exist"


def _ignored_by_deploy_gitignore(path: str) -> bool:
    patterns = [
        line.strip()
        for line in (DEPLOY / ".gitignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    return path.startswith("deploy/") and any(
        fnmatch.fnmatch(Path(path).name, pattern) for pattern in patterns
    )


def test_the_secret_env_file_the_commands_write_is_kept_out_of_git() -> None:
    copied = re.search(r"cp deploy/base/secret\.env\.example (\S+)", PAGE)
    read = re.search(r"--from-env-file=(\S+)", PAGE)
    assert copied and read, "the Deploy steps lost their Secret commands"
    assert copied.group(1) == read.group(1), (
        "the Secret is created from another file than filled in"
    )
    # deploy/.gitignore is what the page points to: the file must land where it applies.
    assert _ignored_by_deploy_gitignore(copied.group(1)), (
        f"{copied.group(1)} (from the repository root) is not ignored by deploy/.gitignore"
    )


def test_the_stated_prod_replicas_are_the_rendered_ones() -> None:
    deployments = of_kind("prod", "Deployment")
    stated = re.search(r"prod: gateway (\d+), assets (\d+), the others (\d+)", PAGE)
    assert stated, "the Scaling section lost its replica counts"
    gateway, assets, others = (int(n) for n in stated.groups())
    expected = {"gateway": gateway, "assets": assets}
    for name in API_SERVICES:
        assert deployments[name]["spec"]["replicas"] == expected.get(name, others), name
    # The worker's count belongs to KEDA: no replicas in the Deployment to fight it.
    assert "replicas" not in deployments["generation-worker"]["spec"]


def test_the_stated_worker_scaling_is_the_rendered_scaled_object() -> None:
    scaled = of_kind("prod", "ScaledObject")["generation-worker"]["spec"]
    span = re.search(r"prod: (\d+) to (\d+) workers", PAGE)
    assert span
    assert (scaled["minReplicaCount"], scaled["maxReplicaCount"]) == tuple(map(int, span.groups()))
    trigger: dict[str, Any] = scaled["triggers"][0]
    assert trigger["type"] == "nats-jetstream"
    lag = re.search(r"`lagThreshold: (\d+)`", PAGE)
    assert lag and trigger["metadata"]["lagThreshold"] == lag.group(1)
    assert trigger["metadata"]["natsServerMonitoringEndpoint"].startswith("nats-headless.nats")
    assert trigger["metadata"]["natsServerMonitoringEndpoint"].endswith(":8222")
    behavior = scaled["advanced"]["horizontalPodAutoscalerConfig"]["behavior"]
    # "Scale-up may double every 30 s": 100 % per 30 s, no waiting.
    assert "double every 30 s" in PAGE
    assert behavior["scaleUp"]["policies"] == [
        {"type": "Percent", "value": 100, "periodSeconds": 30}
    ]
    assert behavior["scaleUp"]["stabilizationWindowSeconds"] == 0
    # "waits 10 calm minutes and then removes one worker per 5 minutes".
    assert "waits 10 calm minutes and then removes one worker per 5 minutes" in PAGE
    assert behavior["scaleDown"]["stabilizationWindowSeconds"] == 600
    assert behavior["scaleDown"]["policies"] == [{"type": "Pods", "value": 1, "periodSeconds": 300}]


def test_dev_is_one_replica_each_without_keda() -> None:
    assert "dev/                        namespace studio-dev, 1 replica each" in PAGE
    assert not of_kind("dev", "ScaledObject")
    for name, deployment in of_kind("dev", "Deployment").items():
        assert deployment["spec"]["replicas"] == 1, name


@pytest.mark.parametrize("overlay", ["dev", "prod"])
def test_the_stated_ports_namespaces_and_graces_are_the_rendered_ones(overlay: str) -> None:
    namespace = {"dev": "studio-dev", "prod": "studio"}[overlay]
    (ns,) = of_kind(overlay, "Namespace").values()
    assert ns["metadata"]["name"] == namespace
    assert ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    ports = {
        name: int(container(d)["ports"][0]["containerPort"])
        for name, d in of_kind(overlay, "Deployment").items()
    }
    # "STUDIO_PORT per container (8080, 8001-8005 as on one machine)".
    assert ports == {
        "gateway": 8080,
        "projects": 8001,
        "catalog": 8002,
        "generation-api": 8003,
        "assets": 8004,
        "generation-worker": 8005,
    }
    services = of_kind(overlay, "Service")
    assert services["generation-worker-metrics"]["spec"]["clusterIP"] == "None"
    assert "generation-worker" not in services
    deployments = of_kind(overlay, "Deployment")
    for name in API_SERVICES:
        spec = deployments[name]["spec"]["template"]["spec"]
        # "a 5 s preStop sleep ..., 20 s grace for requests in flight, 40 s period".
        assert container(deployments[name])["lifecycle"]["preStop"]["exec"]["command"] == [
            "sleep",
            "5",
        ]
        assert spec["terminationGracePeriodSeconds"] == 40, name
    worker = deployments["generation-worker"]
    env = {e["name"]: e.get("value") for e in container(worker)["env"]}
    # "The worker's STUDIO_SHUTDOWN_GRACE_S is 60 and its terminationGracePeriodSeconds 90".
    assert env["STUDIO_SHUTDOWN_GRACE_S"] == "60"
    assert env["STUDIO_WORKER_CONCURRENCY"] == "32"
    assert env["STUDIO_WORKER_NICE"] == "0"
    assert worker["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] == 90
    (config,) = of_kind(overlay, "ConfigMap").values()
    assert config["data"]["STUDIO_SHUTDOWN_GRACE_S"] == "20"
    for deployment in deployments.values():
        probes = container(deployment)
        assert probes["startupProbe"]["httpGet"]["path"] == "/healthz"
        assert probes["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert probes["readinessProbe"]["httpGet"]["path"] == "/readyz"
    volumes = {v["name"]: v for v in deployments["assets"]["spec"]["template"]["spec"]["volumes"]}
    assert volumes["tmp"]["emptyDir"]["sizeLimit"] == "2Gi"  # "2 GiB for assets"


def test_the_stated_ingress_limits_are_the_rendered_ones() -> None:
    (ingress,) = of_kind("prod", "Ingress").values()
    annotations = ingress["metadata"]["annotations"]
    # "body size 64 MiB for uploads, no buffering and a 1 h read timeout for live events".
    assert "body size 64 MiB" in PAGE and "1 h read timeout" in PAGE
    assert annotations["nginx.ingress.kubernetes.io/proxy-body-size"] == "64m"
    assert annotations["nginx.ingress.kubernetes.io/proxy-buffering"] == "off"
    assert annotations["nginx.ingress.kubernetes.io/proxy-read-timeout"] == "3600"
    assert ingress["spec"]["tls"][0]["secretName"] == "studio-tls"
    assert ingress["spec"]["tls"][0]["hosts"] == ["studio.example.com"]


def test_operations_does_not_scale_keda_workers_by_hand_unqualified() -> None:
    # A ScaledObject's HPA sets the worker count back, so `kubectl scale` is advice for dev only.
    assert of_kind("prod", "ScaledObject") and not of_kind("dev", "ScaledObject")
    line = OPERATIONS[OPERATIONS.index("kubectl scale deployment/generation-worker") :][:300]
    assert "ScaledObject" in line, "docs/operations.md advises `kubectl scale` on KEDA's workers"


def _bullet(title: str) -> str:
    start = PAGE.index(f"- **{title}**")
    end = PAGE.find("\n- **", start + 1)
    return PAGE[start:end]


@pytest.mark.parametrize("overlay", ["dev", "prod"])
def test_the_configuration_section_names_every_setting_where_it_is_set(overlay: str) -> None:
    (config,) = of_kind(overlay, "ConfigMap").values()
    shared = _bullet("ConfigMap")
    unnamed = {key for key in config["data"] if f"`{key}" not in shared}
    assert not unnamed, f"ConfigMap keys the Configuration section leaves out: {sorted(unnamed)}"
    in_deployments = {
        e["name"]
        for d in of_kind(overlay, "Deployment").values()
        for e in container(d)["env"]
        if "value" in e
    }
    named = _bullet("Deployment env")
    assert not {key for key in in_deployments if f"`{key}" not in named}
