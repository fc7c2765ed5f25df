"""deploy/k8s's automatic saves: a CronJob runs `python -m library run-scheduled` (which
tests/schedule runs against a library service) with only settings the library reads, the
library's own scheduler is off so the two do not both run, and the network lets the Job's
pod reach the library and nothing else."""

from __future__ import annotations

from functools import cache

import kubernetes_validate  # type: ignore[import-untyped]  # ships no types
import pytest
from teststack.manifests import (
    KUBERNETES_VERSION,
    OVERLAYS,
    Object,
    by_kind,
    containers,
    environment,
    render,
)

from library.settings import LibrarySettings


@cache
def _rendered(overlay: str) -> tuple[Object, ...]:
    return tuple(render(overlay))


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_a_cronjob_asks_the_library_for_the_due_saves_and_the_library_runs_none_itself(
    overlay: str,
) -> None:
    rendered = list(_rendered(overlay))
    cronjob = by_kind(rendered, "CronJob")["scheduler"]
    kubernetes_validate.validate(cronjob, KUBERNETES_VERSION, strict=True)
    spec = cronjob["spec"]
    assert spec["concurrencyPolicy"] == "Forbid"
    pod = spec["jobTemplate"]["spec"]["template"]["spec"]
    assert pod["restartPolicy"] == "Never"
    assert pod["securityContext"]["runAsNonRoot"] is True
    (container,) = pod["containers"]
    assert container["command"] == ["python", "-m", "library", "run-scheduled"]
    (library,) = containers(by_kind(rendered, "Deployment")["library"])
    # The library's image: the command is the library package's own.
    assert container["image"] == library["image"]
    assert {"cpu", "memory"} <= set(container["resources"]["limits"])
    assert container["securityContext"]["allowPrivilegeEscalation"] is False

    fields = {f"TAPEDECK_{field.upper()}" for field in LibrarySettings.model_fields}
    env = environment(container, rendered)
    assert set(env) <= fields, set(env) - fields
    assert env["TAPEDECK_LIBRARY_ADDR"] == "library:50052"
    assert env["TAPEDECK_INTERNAL_TOKEN"] == ("secret", "tapedeck-internal", "internal-token")

    library_env = environment(library, rendered)
    assert library_env["TAPEDECK_SCHEDULER"] == "off"
    assert LibrarySettings(_env_file=None, scheduler=library_env["TAPEDECK_SCHEDULER"])


def test_the_jobs_pod_reaches_only_the_library_which_takes_its_call() -> None:
    rendered = list(_rendered("dev"))
    policies = by_kind(rendered, "NetworkPolicy")
    mine = policies["scheduler"]["spec"]
    assert mine["podSelector"] == {"matchLabels": {"app.kubernetes.io/component": "scheduler"}}
    assert set(mine["policyTypes"]) == {"Ingress", "Egress"} and not mine.get("ingress")
    to_library, dns = mine["egress"]
    assert to_library["to"] == [
        {"podSelector": {"matchLabels": {"app.kubernetes.io/name": "library"}}}
    ]
    assert to_library["ports"] == [{"port": "grpc", "protocol": "TCP"}]
    assert {p["port"] for p in dns["ports"]} == {53}
    (taken,) = policies["library-from-scheduler"]["spec"]["ingress"]
    assert taken["from"] == [
        {"podSelector": {"matchLabels": {"app.kubernetes.io/component": "scheduler"}}}
    ]
    # The library's pods carry the name the policies select, and a port named grpc.
    template = by_kind(rendered, "Deployment")["library"]["spec"]["template"]
    assert template["metadata"]["labels"]["app.kubernetes.io/name"] == "library"
    (library,) = template["spec"]["containers"]
    assert any(p["name"] == "grpc" for p in library["ports"])
