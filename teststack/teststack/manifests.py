"""What the deploy tests read from deploy/: the rendered Kubernetes overlays, the base's
objects, and each container's environment (its variables' names, and where each value
comes from)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
K8S = DEPLOY / "k8s"
OVERLAYS = ("dev", "prod")
# The Kubernetes version the manifests are checked against (kubernetes-validate's schemas).
KUBERNETES_VERSION = "1.32"
# What base/secrets.yaml and the overlays hold instead of a secret.
PLACEHOLDER = "REPLACE-ME"

Object = dict[str, Any]


def kubectl() -> str:
    """kubectl's path; outside CI a test without it is skipped, under CI=true it fails."""
    found = shutil.which("kubectl")
    if found:
        return found
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail("kubectl must be installed under CI=true (it renders deploy/k8s)")
    pytest.skip("kubectl is not installed: deploy/k8s cannot be rendered here")


def render(overlay: str) -> list[Object]:
    """`kubectl kustomize deploy/k8s/overlays/<overlay>`, offline, as a list of objects."""
    done = subprocess.run(
        [kubectl(), "kustomize", str(K8S / "overlays" / overlay)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


def base_objects() -> list[Object]:
    """The base's objects as written, read without kubectl (the base has no generators)."""
    kustomization = yaml.safe_load((K8S / "base" / "kustomization.yaml").read_text())
    found: list[Object] = []
    for name in kustomization["resources"]:
        text = (K8S / "base" / name).read_text()
        found += [doc for doc in yaml.safe_load_all(text) if doc]
    return found


def by_kind(objects: list[Object], kind: str) -> dict[str, Object]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


def containers(deployment: Object, init: bool = False) -> list[Object]:
    spec = deployment["spec"]["template"]["spec"]
    found: list[Object] = spec.get("initContainers", []) if init else spec["containers"]
    return found


def environment(container: Object, objects: list[Object]) -> dict[str, Any]:
    """A container's variables: each name with its literal value, or with the
    (secret or config map, key) its value is read from; envFrom config maps expanded, and
    `env` winning over them as in Kubernetes."""
    config_maps = by_kind(objects, "ConfigMap")
    found: dict[str, Any] = {}
    for source in container.get("envFrom", []):
        found |= config_maps[source["configMapRef"]["name"]]["data"]
    for entry in container.get("env", []):
        if "value" in entry:
            found[entry["name"]] = entry["value"]
        else:
            ref = entry["valueFrom"]
            kind = "secret" if "secretKeyRef" in ref else "configMap"
            key_ref = ref.get("secretKeyRef") or ref["configMapKeyRef"]
            found[entry["name"]] = (kind, key_ref["name"], key_ref["key"])
    return found
