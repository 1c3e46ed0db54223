"""The Kubernetes manifests (deploy/): both overlays render, every object is valid against the
Kubernetes schemas (the KEDA ScaledObject against its CRD's required fields), every setting the
services read is set or deliberately left at its default, and every pod is locked down, probed
and reachable only by the services that call it. Mirrors test_deploy_files.py for compose."""

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from functools import cache
from ipaddress import ip_address, ip_network
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema  # type: ignore[import-untyped]
import kubernetes_validate  # type: ignore[import-untyped]
import pytest
import yaml
from nats.aio.client import Client as NatsClient
from pydantic import AliasChoices, ValidationError
from pydantic_settings import BaseSettings
from pymongo.uri_parser import parse_uri
from studio_assets.settings import AssetsSettings
from studio_catalog.settings import CatalogSettings
from studio_contracts import subjects
from studio_gateway.settings import GatewaySettings
from studio_generation.settings import GenerationSettings, WorkerSettings
from studio_projects.settings import ProjectsSettings
from studio_runtime.serve import ProxySettings, proxy_options
from studio_storage.factory import object_store_from_url

ROOT = Path(__file__).parents[2]
DEPLOY = ROOT / "deploy"
OVERLAYS = ("dev", "prod")
KUBERNETES_VERSION = "1.30"
"""The oldest Kubernetes the manifests are for (topologySpreadConstraints.matchLabelKeys: 1.27+)."""

SETTINGS: dict[str | tuple[str, str], type[BaseSettings]] = {
    "studio_projects": ProjectsSettings,
    "studio_catalog": CatalogSettings,
    "studio_assets": AssetsSettings,
    "studio_gateway": GatewaySettings,
    ("studio_generation", "api"): GenerationSettings,
    ("studio_generation", "worker"): WorkerSettings,
}

# Who calls whom over HTTP (and so who may reach whom): the gateway calls every service
# (studio_gateway.settings.upstreams); the generation API calls projects, catalog and assets
# (studio_generation.main.create_app); the worker only assets (create_worker_app); assets calls
# projects (studio_assets.main), and projects assets (studio_projects.main: the next cover).
# Nothing calls a worker.
CALLERS: dict[str, set[str]] = {
    "projects": {"gateway", "generation-api", "assets"},
    "catalog": {"gateway", "generation-api"},
    "generation-api": {"gateway"},
    "assets": {"gateway", "generation-api", "generation-worker", "projects"},
    "generation-worker": set(),
}
MONITORING = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}

# Settings the manifests leave at their defaults on purpose. Every other setting a service reads
# must be set in the ConfigMap, the Secret or its Deployment.
DEFAULTED: dict[str, str] = {
    "STUDIO_INTERNAL_TOKEN_TTL_S": "60 s is the signed identity's designed lifetime",
    "STUDIO_MONGO_DB": "each service's default is its own database (studio_<service>)",
    "STUDIO_NATS_PREFIX": "one installation per NATS; a prefix also renames the stream KEDA "
    "watches (docs/deploy.md)",
    "STUDIO_UPLOAD_MAX_BYTES": "50 MiB, matched by the ingress body limit (64m)",
    "STUDIO_MAX_IMAGE_PIXELS": "the decompression-bomb guard the assets memory limit is sized for",
    "STUDIO_IMAGE_DECODES": "with the pixel limit, what the assets memory limit is sized for (two of 0.5 GB)",
    "STUDIO_THUMBNAIL_MAX_PX": "a product choice, not a deployment one",
    "STUDIO_PRESIGN_EXPIRY_S": "15 min presigned downloads",
    "STUDIO_ANNOUNCE_INTERVAL_S": "internal retry cadence",
    "STUDIO_DELETION_GRACE_S": "internal sweep timing (longer than a publish timeout)",
    "STUDIO_MAINTENANCE_INTERVAL_S": "internal sweep timing",
    "STUDIO_TEMPLATES_PER_USER": "a product limit",
    "STUDIO_CATALOG_DATA_DIR": "the catalog packaged in the image",
    "STUDIO_CATALOG_STARTERS_FILE": "the starter templates packaged in the image",
    "STUDIO_FAL_CONFIGURED": "derived from whether the catalog gets the fal key (it does)",
    "STUDIO_IDEMPOTENCY_TTL_S": "24 h, the documented API contract",
    "STUDIO_RELAY_INTERVAL_S": "internal relay cadence",
    "STUDIO_RELAY_MIN_AGE_S": "internal relay cadence",
    "STUDIO_MAX_ACTIVE_PER_USER": "a product limit (429 beyond)",
    "STUDIO_REQUEUE_AFTER_S": "longer than the lease; internal recovery timing",
    "STUDIO_JOB_DEADLINE_S": "per-model deadlines are a product decision, not a deployment one",
    "STUDIO_MODEL_DEADLINES_S": "per-model deadlines are a product decision, not a deployment one",
    "STUDIO_MAX_ATTEMPTS": "retry policy of the pipeline",
    "STUDIO_LEASE_S": "takeover timing, tuned with the ack wait and heartbeat",
    "STUDIO_HEARTBEAT_S": "takeover timing, tuned with the ack wait and lease",
    "STUDIO_ACK_WAIT_S": "takeover timing, tuned with the lease and heartbeat",
    "STUDIO_MAX_OUTPUT_BYTES": "2 GiB, streamed, not held in memory",
    "STUDIO_FAL_BASE_URL": "fal's public queue API (tests point it elsewhere)",
    "STUDIO_FAL_STORAGE_URL": "fal's public storage API",
    "STUDIO_FAL_REQUEST_RETRIES": "provider retry policy",
    "STUDIO_FAL_POLL_INTERVAL_S": "provider polling cadence",
    "STUDIO_LOCAL_LATENCY_S": "demo/test knob of the offline provider",
    "STUDIO_LOCAL_PROGRESS_STEPS": "demo/test knob of the offline provider",
    "STUDIO_LOCAL_USER_ID": "local mode only; a cluster runs in accounts mode",
    "STUDIO_LOCAL_MODE_PUBLIC": "local mode only; a cluster runs in accounts mode",
    "STUDIO_SESSION_TTL_S": "14 days, a product choice",
    "STUDIO_HSTS_MAX_AGE_S": "a year, the usual HSTS time (docs/gateway.md)",
    "STUDIO_AUTH_CACHE_S": "revocations are broadcast; this only bounds a missed one",
    "STUDIO_REQUESTS_PER_MINUTE": "per-user limit, a product choice",
    "STUDIO_UPLOAD_BYTES_PER_HOUR": "per-user limit, a product choice",
    "STUDIO_LOGIN_ATTEMPTS_PER_MINUTE_PER_IP": "sign-in throttle, a product choice",
    "STUDIO_LOGIN_ATTEMPTS_PER_MINUTE_PER_ACCOUNT": "sign-in throttle, a product choice",
    "STUDIO_SIGNUPS_PER_MINUTE_PER_IP": "sign-up throttle, a product choice",
    "STUDIO_SSE_HEARTBEAT_S": "15 s, well inside the ingress read timeout (3600 s)",
    "STUDIO_SSE_REPLAY_MAX": "live events tuning",
    "STUDIO_SSE_QUEUE_MAX": "live events tuning",
    "STUDIO_SSE_CONNECTIONS_PER_USER": "20 open event streams per user and instance",
    "STUDIO_METRICS_NETWORKS": "loopback and private networks: the pod network, where "
    "Prometheus scrapes from",
    "STUDIO_UPSTREAM_TIMEOUT_S": "30 s proxied-call timeout",
    "STUDIO_BODY_READ_TIMEOUT_S": "30 s for the next piece of a stalled request body (408); the "
    "ingress streams uploads through unbuffered",
    "STUDIO_UPSTREAM_POOL_SHARDS": "connection pool tuning (benchmarked defaults)",
    "STUDIO_UPSTREAM_CONNECTIONS_PER_SHARD": "connection pool tuning (benchmarked defaults)",
}

# The KEDA ScaledObject's required shape, from KEDA's CRD (keda.sh_scaledobjects.yaml, v1alpha1):
# spec needs scaleTargetRef (with name) and triggers (each with type and string metadata); the
# replica counts and HPA behaviour policies are typed.
_INT = {"type": "integer"}
_POLICY = {
    "type": "object",
    "required": ["type", "value", "periodSeconds"],
    "properties": {
        "type": {"enum": ["Pods", "Percent"]},
        "value": {"type": "integer", "minimum": 1},
        "periodSeconds": {"type": "integer", "minimum": 1, "maximum": 1800},
    },
    "additionalProperties": False,
}
_RULES = {
    "type": "object",
    "properties": {
        "stabilizationWindowSeconds": {"type": "integer", "minimum": 0, "maximum": 3600},
        "selectPolicy": {"enum": ["Max", "Min", "Disabled"]},
        "policies": {"type": "array", "minItems": 1, "items": _POLICY},
    },
    "additionalProperties": False,
}
SCALED_OBJECT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "properties": {
        "apiVersion": {"const": "keda.sh/v1alpha1"},
        "kind": {"const": "ScaledObject"},
        "metadata": {
            "type": "object",
            "required": ["name", "namespace"],
            "properties": {"name": {"type": "string"}, "namespace": {"type": "string"}},
        },
        "spec": {
            "type": "object",
            "required": ["scaleTargetRef", "triggers"],
            "properties": {
                "scaleTargetRef": {
                    "type": "object",
                    "required": ["name"],
                    "properties": {
                        "name": {"type": "string"},
                        "kind": {"type": "string"},
                        "apiVersion": {"type": "string"},
                        "envSourceContainerName": {"type": "string"},
                    },
                    "additionalProperties": False,
                },
                "minReplicaCount": _INT,
                "maxReplicaCount": _INT,
                "idleReplicaCount": _INT,
                "pollingInterval": _INT,
                "cooldownPeriod": _INT,
                "initialCooldownPeriod": _INT,
                "advanced": {
                    "type": "object",
                    "properties": {
                        "restoreToOriginalReplicaCount": {"type": "boolean"},
                        "horizontalPodAutoscalerConfig": {
                            "type": "object",
                            "properties": {
                                "name": {"type": "string"},
                                "behavior": {
                                    "type": "object",
                                    "properties": {"scaleUp": _RULES, "scaleDown": _RULES},
                                    "additionalProperties": False,
                                },
                            },
                            "additionalProperties": False,
                        },
                    },
                    "additionalProperties": False,
                },
                "triggers": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "object",
                        "required": ["type", "metadata"],
                        "properties": {
                            "type": {"type": "string"},
                            "name": {"type": "string"},
                            "metricType": {"enum": ["AverageValue", "Value", "Utilization"]},
                            "useCachedMetrics": {"type": "boolean"},
                            "metadata": {
                                "type": "object",
                                "additionalProperties": {"type": "string"},
                            },
                            "authenticationRef": {
                                "type": "object",
                                "required": ["name"],
                                "properties": {
                                    "name": {"type": "string"},
                                    "kind": {"type": "string"},
                                },
                            },
                        },
                        "additionalProperties": False,
                    },
                },
            },
            "additionalProperties": False,
        },
    },
}
# The nats-jetstream scaler's own required metadata (keda.sh/docs/scalers/nats-jetstream).
NATS_JETSTREAM_METADATA = {"natsServerMonitoringEndpoint", "stream", "consumer", "lagThreshold"}


def _renderer() -> list[str]:
    if kubectl := shutil.which("kubectl"):
        return [kubectl, "kustomize"]
    if kustomize := shutil.which("kustomize"):
        return [kustomize, "build"]
    pytest.fail(
        "neither kubectl nor kustomize is on PATH: the deploy/ manifests cannot be rendered. "
        "Install kubectl 1.27+ (its built-in kustomize v5 renders them) or a kustomize v5 binary; "
        "Debian bookworm's kubernetes-client (1.20) is too old for these kustomizations."
    )


@cache
def render(overlay: str) -> tuple[dict[str, Any], ...]:
    result = subprocess.run(
        [*_renderer(), str(DEPLOY / "overlays" / overlay)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, f"kustomize {overlay} failed:\n{result.stderr}"
    return tuple(doc for doc in yaml.safe_load_all(result.stdout) if doc)


def of_kind(overlay: str, kind: str) -> dict[str, dict[str, Any]]:
    return {o["metadata"]["name"]: o for o in render(overlay) if o["kind"] == kind}


def container(deployment: dict[str, Any]) -> dict[str, Any]:
    containers: list[dict[str, Any]] = deployment["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1, deployment["metadata"]["name"]
    return containers[0]


def settings_class(deployment: dict[str, Any]) -> type[BaseSettings]:
    command = container(deployment)["command"]
    assert command[:2] == ["python", "-m"], command
    module, *args = command[2:]
    return SETTINGS[(module, args[0])] if args else SETTINGS[module]


def env_names(field: str, settings: type[BaseSettings]) -> set[str]:
    """The environment variables a settings field is read from."""
    alias = settings.model_fields[field].validation_alias
    if isinstance(alias, AliasChoices):
        return {str(choice) for choice in alias.choices}
    return {f"STUDIO_{field.upper()}"}


def secret_example_keys() -> set[str]:
    """Keys of secret.env.example, the optional (commented) ones included."""
    text = (DEPLOY / "base" / "secret.env.example").read_text()
    keys = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", text, flags=re.MULTILINE))
    assert "STUDIO_INTERNAL_SECRET" in keys
    return keys


def effective_env(overlay: str, deployment: dict[str, Any]) -> dict[str, str | None]:
    """What the container's environment holds: ConfigMap values, then its own env (which wins);
    a value from the Secret is None (its content is not in the repository)."""
    configmaps = of_kind(overlay, "ConfigMap")
    spec = container(deployment)
    env: dict[str, str | None] = {}
    for source in spec.get("envFrom", []):
        env.update(configmaps[source["configMapRef"]["name"]]["data"])
    for item in spec.get("env", []):
        if "value" in item:
            env[item["name"]] = item["value"]
        elif "fieldRef" in item["valueFrom"]:
            # The Downward API: the pod's own name, as Kubernetes names a pod of a Deployment.
            assert item["valueFrom"]["fieldRef"] == {"fieldPath": "metadata.name"}, item
            env[item["name"]] = f"{deployment['metadata']['name']}-7c9d8f6b5-x2k4q"
        else:
            ref = item["valueFrom"]["secretKeyRef"]
            if ref.get("optional"):
                # Overrides the ConfigMap only when the Secret has the key (a URL with
                # credentials); the ConfigMap's value is the one to check.
                env.setdefault(item["name"], None)
            else:
                env[item["name"]] = None
    return env


def deployments(overlay: str) -> Iterator[tuple[str, dict[str, Any]]]:
    yield from of_kind(overlay, "Deployment").items()


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlay_renders_every_service(overlay: str) -> None:
    names = {"gateway", "projects", "catalog", "generation-api", "assets", "generation-worker"}
    assert set(of_kind(overlay, "Deployment")) == names
    assert set(of_kind(overlay, "Service")) == (names - {"generation-worker"}) | {
        "generation-worker-metrics"
    }
    assert set(of_kind(overlay, "PodDisruptionBudget")) == names
    assert set(of_kind(overlay, "NetworkPolicy")) == names | {"default-deny-ingress"}
    namespaces = {
        o["metadata"].get("namespace") for o in render(overlay) if o["kind"] != "Namespace"
    }
    assert namespaces == {"studio-dev" if overlay == "dev" else "studio"}
    assert len(of_kind(overlay, "ConfigMap")) == 1
    # No Secret is rendered: it is created from secret.env (never committed) before applying.
    assert not of_kind(overlay, "Secret")
    scaled = of_kind(overlay, "ScaledObject")
    assert set(scaled) == (set() if overlay == "dev" else {"generation-worker"})
    if overlay == "dev":
        assert all(d["spec"]["replicas"] == 1 for _, d in deployments(overlay))


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_object_is_valid_against_the_kubernetes_schemas(overlay: str) -> None:
    for obj in render(overlay):
        if obj["apiVersion"].startswith("keda.sh/"):
            continue  # a CRD: checked against KEDA's schema below
        name = f"{obj['kind']}/{obj['metadata']['name']}"
        try:
            kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as exc:
            pytest.fail(f"{overlay}: {name}: {exc.message} at {list(exc.path)}")


def test_the_worker_scaled_object_matches_keda_and_the_code() -> None:
    (scaled,) = of_kind("prod", "ScaledObject").values()
    jsonschema.validate(scaled, SCALED_OBJECT_SCHEMA)
    spec = scaled["spec"]
    worker = of_kind("prod", "Deployment")[spec["scaleTargetRef"]["name"]]
    assert settings_class(worker) is WorkerSettings
    # KEDA owns the worker's replica count: a `replicas` in the Deployment would fight it.
    assert "replicas" not in worker["spec"]
    assert 1 <= spec["minReplicaCount"] <= spec["maxReplicaCount"]
    (trigger,) = spec["triggers"]
    assert trigger["type"] == "nats-jetstream"
    metadata = trigger["metadata"]
    assert set(metadata) >= NATS_JETSTREAM_METADATA
    assert metadata["stream"] == subjects.GENERATIONS_STREAM.name
    assert metadata["consumer"] == subjects.WORKERS_CONSUMER
    assert "STUDIO_NATS_PREFIX" not in effective_env("prod", worker)  # else the stream is renamed
    concurrency = int(effective_env("prod", worker)["STUDIO_WORKER_CONCURRENCY"] or 0)
    assert 1 <= int(metadata["lagThreshold"]) <= concurrency


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_termination_grace_covers_the_shutdown_grace(overlay: str) -> None:
    for name, deployment in deployments(overlay):
        env = effective_env(overlay, deployment)
        grace = int(env["STUDIO_SHUTDOWN_GRACE_S"] or 0)
        pre_stop = container(deployment).get("lifecycle", {}).get("preStop")
        sleep = int(pre_stop["exec"]["command"][1]) if pre_stop else 0
        period = deployment["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
        # The grace, then stopping consumers (up to 5 + 5 s beyond the handlers' time), draining
        # NATS (5 s) and closing MongoDB must end before the kubelet's SIGKILL.
        assert period >= sleep + grace + 15, f"{overlay}/{name}: {period} s < {sleep}+{grace}+15"
    worker = of_kind(overlay, "Deployment")["generation-worker"]
    assert int(effective_env(overlay, worker)["STUDIO_SHUTDOWN_GRACE_S"] or 0) >= 60


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_a_gateway_behind_the_ingress_believes_it_and_nothing_else_believes_anyone(
    overlay: str,
) -> None:
    behind_ingress = bool(of_kind(overlay, "Ingress"))
    assert behind_ingress == (overlay == "prod")
    for name, deployment in deployments(overlay):
        trusted = effective_env(overlay, deployment).get("STUDIO_TRUSTED_PROXIES") or ""
        if name != "gateway" or not behind_ingress:
            assert not trusted, f"{overlay}/{name} believes X-Forwarded-For from {trusted}"
            continue
        # The controller's pods, on whichever private range the cluster's pod network is.
        options = proxy_options(trusted)
        assert options["proxy_headers"]
        networks = [ip_network(entry) for entry in options["forwarded_allow_ips"]]
        for pod in ("10.244.1.7", "172.20.0.5", "192.168.3.4", "fd00:10:244::7"):
            assert any(ip_address(pod) in network for network in networks), pod
        assert not any(ip_address("203.0.113.9") in network for network in networks)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_setting_is_configured_or_deliberately_defaulted(overlay: str) -> None:
    read_anywhere: set[str] = set()
    missing: list[str] = []
    for name, deployment in deployments(overlay):
        settings = settings_class(deployment)
        env = effective_env(overlay, deployment)
        for field in settings.model_fields:
            names = env_names(field, settings)
            read_anywhere |= names
            if not names & set(env) and not names & set(DEFAULTED):
                missing.append(f"{name}: {' or '.join(sorted(names))}")
        # Mirror of the compose test: nothing set in a Deployment that its service ignores.
        for item in container(deployment).get("env", []):
            if item["name"].startswith("STUDIO_"):
                field = item["name"].removeprefix("STUDIO_").lower()
                read = settings.model_fields | ProxySettings.model_fields  # every server's
                assert field in read, f"{name}: {item['name']} is not read"
    assert not missing, (
        "set these in deploy/ or add them to DEFAULTED with a reason:\n" + "\n".join(missing)
    )
    (configmap,) = of_kind(overlay, "ConfigMap").values()
    assert set(configmap["data"]) <= read_anywhere, set(configmap["data"]) - read_anywhere
    # The allow-list stays honest: every entry is a real setting.
    assert set(DEFAULTED) <= read_anywhere, set(DEFAULTED) - read_anywhere
    # The ConfigMap is shared: nothing in it that must differ per service.
    assert not {"STUDIO_PORT", "STUDIO_MONGO_DB"} & set(configmap["data"])


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_secrets_come_from_the_secret_only(overlay: str) -> None:
    keys = secret_example_keys()
    (configmap,) = of_kind(overlay, "ConfigMap").values()
    for variable in configmap["data"]:
        assert not re.search(r"SECRET|KEY|PASSWORD", variable), f"{variable} in the ConfigMap"
    for name, deployment in deployments(overlay):
        for item in container(deployment).get("env", []):
            if "secretKeyRef" in item.get("valueFrom", {}):
                ref = item["valueFrom"]["secretKeyRef"]
                assert ref["name"] == "studio-secrets", name
                assert ref["key"] in keys, f"{name}: {ref['key']} missing from secret.env.example"
            else:
                assert not re.search(r"SECRET|KEY|PASSWORD", item["name"]), (name, item["name"])
        env = effective_env(overlay, deployment)
        assert "STUDIO_INTERNAL_SECRET" in env, name


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_service_accepts_its_rendered_settings(
    overlay: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The settings classes validate what the manifests set (e.g. the gateway refuses a
    non-loopback host in local mode), and the URLs parse the way the code reads them."""
    for name, deployment in deployments(overlay):
        settings = settings_class(deployment)
        for variable in list(os.environ):
            if variable.startswith("STUDIO_") or variable == "FAL_KEY":
                monkeypatch.delenv(variable)
        for variable, value in effective_env(overlay, deployment).items():
            # A value from the Secret stands in as a well-formed placeholder.
            monkeypatch.setenv(variable, "x" * 48 if value is None else value)
        try:
            cfg: Any = settings()
        except ValidationError as exc:
            pytest.fail(f"{overlay}/{name}: {exc}")
        assert cfg.port == int(container(deployment)["ports"][0]["containerPort"]), name
        assert cfg.host == "0.0.0.0" and cfg.log_json, name
        if hasattr(cfg, "nats_url"):
            # One URL: the NATS client is given STUDIO_NATS_URL as is (a list is refused).
            try:
                NatsClient._parse_server_uri(cfg.nats_url)
            except Exception as exc:
                pytest.fail(f"{overlay}/{name}: STUDIO_NATS_URL {cfg.nats_url!r}: {exc}")
        if hasattr(cfg, "mongo_url"):
            parse_uri(cfg.mongo_url)
        if hasattr(cfg, "storage_url"):
            assert cfg.storage_url.startswith("s3://"), "workers and assets need shared storage"
            object_store_from_url(cfg.storage_url, access_key="k", secret_key="s")
        if settings is GatewaySettings:
            assert cfg.auth_mode == "accounts" and cfg.cookie_secure, name


def test_prod_points_at_replicated_servers() -> None:
    (configmap,) = of_kind("prod", "ConfigMap").values()
    data = configmap["data"]
    mongo = parse_uri(data["STUDIO_MONGO_URL"])
    assert len(mongo["nodelist"]) >= 3
    assert mongo["options"].get("replicaSet")
    assert mongo["options"].get("w") == "majority"
    assert mongo["options"].get("retryWrites") is True
    nats = urlsplit(data["STUDIO_NATS_URL"])
    assert nats.scheme == "nats" and nats.hostname and nats.hostname.endswith(".svc.cluster.local")
    assert urlsplit(data["STUDIO_STORAGE_URL"]).scheme == "s3"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_service_urls_reach_the_services(overlay: str) -> None:
    services = of_kind(overlay, "Service")
    (configmap,) = of_kind(overlay, "ConfigMap").values()
    urls = {k: v for k, v in configmap["data"].items() if re.fullmatch(r"STUDIO_[A-Z]+_URL", k)}
    for variable in ("PROJECTS", "CATALOG", "GENERATION", "ASSETS"):
        url = urlsplit(urls[f"STUDIO_{variable}_URL"])
        service = services[url.hostname or ""]
        assert url.port in {p["port"] for p in service["spec"]["ports"]}, variable
    deploys = of_kind(overlay, "Deployment")
    for name, service in services.items():
        selected = [
            d
            for d in deploys.values()
            if service["spec"]["selector"].items()
            <= d["spec"]["template"]["metadata"]["labels"].items()
        ]
        assert len(selected) == 1, name
        ports = {p["name"] for p in container(selected[0])["ports"]}
        assert {p["targetPort"] for p in service["spec"]["ports"]} <= ports, name


def _uid_from_dockerfile() -> int:
    match = re.search(r"--uid (\d+)", (ROOT / "Dockerfile").read_text())
    assert match, "the Dockerfile creates the non-root user the pods run as"
    return int(match.group(1))


def _quantity(value: str | int) -> float:
    units = {"m": 1e-3, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "": 1}
    number, unit = re.fullmatch(r"([0-9.]+)(m|Ki|Mi|Gi|)", str(value)).groups()  # type: ignore[union-attr]
    return float(number) * units[unit]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_pod_is_locked_down_probed_and_bounded(overlay: str) -> None:
    uid = _uid_from_dockerfile()
    for name, deployment in deployments(overlay):
        pod = deployment["spec"]["template"]["spec"]
        assert pod["automountServiceAccountToken"] is False, name
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["securityContext"]["runAsUser"] == uid, name
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, name
        spec = container(deployment)
        security = spec["securityContext"]
        assert security["allowPrivilegeEscalation"] is False, name
        assert security["readOnlyRootFilesystem"] is True, name
        assert security["capabilities"] == {"drop": ["ALL"]}, name
        # A read-only root, so /tmp (upload spools, temporary files) is an emptyDir with a limit.
        (tmp,) = [m for m in spec["volumeMounts"] if m["mountPath"] == "/tmp"]
        (volume,) = [v for v in pod["volumes"] if v["name"] == tmp["name"]]
        assert "sizeLimit" in volume["emptyDir"], name
        port = spec["ports"][0]
        assert port["name"] == "http", name
        assert spec["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}, name
        assert spec["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}, name
        assert spec["startupProbe"]["httpGet"]["path"] == "/healthz", name
        resources = spec["resources"]
        for resource in ("cpu", "memory"):
            request = _quantity(resources["requests"][resource])
            limit = _quantity(resources["limits"][resource])
            assert 0 < request <= limit, (name, resource)
        assert spec["image"].split("/")[-1].startswith("ai-studio"), name
    for namespace in of_kind(overlay, "Namespace").values():
        assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_only_the_gateway_takes_traffic_from_outside(overlay: str) -> None:
    policies = of_kind(overlay, "NetworkPolicy")
    default = policies.pop("default-deny-ingress")["spec"]
    assert default == {"podSelector": {}, "policyTypes": ["Ingress"]}
    deploys = of_kind(overlay, "Deployment")
    for name, policy in policies.items():
        spec = policy["spec"]
        assert spec["policyTypes"] == ["Ingress"], name
        target = spec["podSelector"]["matchLabels"]["app.kubernetes.io/name"]
        assert target == name and name in deploys
        port = container(deploys[name])["ports"][0]["containerPort"]
        sources: set[str] = set()
        for rule in spec["ingress"]:
            assert [p["port"] for p in rule["ports"]] == [port], name
            if name == "gateway":
                assert "from" not in rule  # public: the ingress controller or a load balancer
                continue
            for peer in rule["from"]:
                if peer == MONITORING:
                    continue  # metrics scraping
                assert set(peer) == {"podSelector"}, (name, peer)  # this namespace only
                sources.add(peer["podSelector"]["matchLabels"]["app.kubernetes.io/name"])
        if name != "gateway":
            assert sources == CALLERS[name], name
    assert set(policies) == set(deploys)


def test_a_private_overlay_can_generate_the_secret(tmp_path: Path) -> None:
    """The documented secretGenerator route (docs/deploy.md): a private overlay on top of prod
    generates `studio-secrets` from secret.env, and every reference finds it."""
    example = (DEPLOY / "base" / "secret.env.example").read_text()
    secret_env = re.sub(
        r"^STUDIO_INTERNAL_SECRET=$",
        "STUDIO_INTERNAL_SECRET=" + "s" * 48,
        example,
        flags=re.MULTILINE,
    )
    (tmp_path / "secret.env").write_text(secret_env)
    prod = os.path.relpath(DEPLOY / "overlays" / "prod", tmp_path)
    (tmp_path / "kustomization.yaml").write_text(
        yaml.safe_dump(
            {
                "apiVersion": "kustomize.config.k8s.io/v1beta1",
                "kind": "Kustomization",
                "namespace": "studio",
                "resources": [prod],
                "secretGenerator": [
                    {
                        "name": "studio-secrets",
                        "envs": ["secret.env"],
                        "options": {"disableNameSuffixHash": True},
                    }
                ],
            }
        )
    )
    renderer = _renderer()
    restrictor = "--load-restrictor=LoadRestrictionsNone"
    result = subprocess.run(
        [*renderer, restrictor, str(tmp_path)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    objects = [doc for doc in yaml.safe_load_all(result.stdout) if doc]
    (secret,) = [o for o in objects if o["kind"] == "Secret"]
    assert secret["metadata"] == {"name": "studio-secrets", "namespace": "studio"}
    assert set(secret["data"]) == {
        "STUDIO_INTERNAL_SECRET",
        "FAL_KEY",
        "STUDIO_STORAGE_ACCESS_KEY",
        "STUDIO_STORAGE_SECRET_KEY",
    }
    for deployment in (o for o in objects if o["kind"] == "Deployment"):
        for item in container(deployment).get("env", []):
            if "secretKeyRef" in item.get("valueFrom", {}):
                assert item["valueFrom"]["secretKeyRef"]["name"] == "studio-secrets"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_no_overlay_runs_an_image_kubernetes_would_always_pull(overlay: str) -> None:
    """Untagged or `latest` means `imagePullPolicy: Always`: an image loaded into a node (kind,
    minikube) would be ignored and `ai-studio:latest` asked of Docker Hub, where there is none."""
    for name, deployment in deployments(overlay):
        image = container(deployment)["image"]
        tag = image.rpartition("/")[2].partition(":")[2]
        assert tag and tag != "latest", f"{overlay}/{name}: {image}"
