"""deploy/k8s: each overlay renders offline, every object it renders is valid for Kubernetes,
and what a cluster would run is what the services need: every variable a pod is given is a
setting its process reads, probes ask the gRPC health service, a migration runs before each
service, the gateway holds no root token or database, and no secret value is committed."""

from __future__ import annotations

from functools import cache
from typing import Any

import kubernetes_validate  # type: ignore[import-untyped]  # ships no types
import pytest
from pydantic_settings import BaseSettings
from teststack.manifests import (
    KUBERNETES_VERSION,
    OVERLAYS,
    PLACEHOLDER,
    Object,
    base_objects,
    by_kind,
    containers,
    environment,
    render,
)

from auth.settings import AuthSettings
from collection.settings import EntitySettings
from download.settings import DownloadSettings
from gateway.settings import GatewaySettings
from kit.migrate import migrations_of
from kit.settings import DEFAULT_PORTS, ENTITY_SERVICES, SERVICES
from library.settings import LibrarySettings

SETTINGS: dict[str, type[BaseSettings]] = {
    "auth": AuthSettings,
    "library": LibrarySettings,
    **dict.fromkeys(ENTITY_SERVICES, EntitySettings),
    "download": DownloadSettings,
    "download-worker": DownloadSettings,
    "gateway": GatewaySettings,
}


@cache
def _rendered(overlay: str) -> tuple[Object, ...]:
    return tuple(render(overlay))


@pytest.fixture(params=OVERLAYS)
def rendered(request: pytest.FixtureRequest) -> list[Object]:
    return list(_rendered(request.param))


# The processes that call Spotify, and so share the app's pace through one database.
CALL_SPOTIFY = {"library", "playlist", "track", "album", "artist"}


def test_every_rendered_object_is_valid_for_kubernetes(rendered: list[Object]) -> None:
    assert len(rendered) > 20
    for obj in rendered:
        # strict: a misspelt or misplaced field is an error, not ignored by the cluster.
        kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)


def test_validation_catches_a_misplaced_field() -> None:
    """The check above can fail: a probe under the pod instead of the container is refused."""
    deployment = dict(by_kind(list(_rendered("dev")), "Deployment")["playlist"])
    broken: Any = {**deployment, "spec": {**deployment["spec"], "livenessProbe": {}}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)


def test_each_grpc_service_is_a_deployment_behind_a_headless_service(
    rendered: list[Object],
) -> None:
    deployments = by_kind(rendered, "Deployment")
    services = by_kind(rendered, "Service")
    for name in SERVICES:
        port = DEFAULT_PORTS[name]
        service = services[name]
        # Headless: DNS answers every ready pod, and round_robin dials them all.
        assert service["spec"]["clusterIP"] == "None"
        assert service["spec"]["selector"] == {"app.kubernetes.io/name": name}
        assert any(p["port"] == port for p in service["spec"]["ports"])
        (container,) = containers(deployments[name])
        assert {"name": "grpc", "containerPort": port, "protocol": "TCP"} in container["ports"]
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            # The standard gRPC health service, which every Tapedeck server answers.
            assert container[probe]["grpc"] == {"port": port}, (name, probe)
        env = environment(container, rendered)
        # Listens on every interface of its pod; every other pod dials the Service's name.
        assert env[f"TAPEDECK_{name.upper()}_ADDR"] == f"0.0.0.0:{port}"
        for other in SERVICES:
            if other != name:
                assert env[f"TAPEDECK_{other.upper()}_ADDR"] == f"{other}:{DEFAULT_PORTS[other]}"


def test_every_variable_a_pod_gets_is_a_setting_its_process_reads() -> None:
    """A misspelt variable would be ignored by the service and silently leave a default."""
    objects = base_objects()
    for name, deployment in by_kind(objects, "Deployment").items():
        fields = {f"TAPEDECK_{field.upper()}" for field in SETTINGS[name].model_fields}
        for container in containers(deployment) + containers(deployment, init=True):
            unknown = set(environment(container, objects)) - fields
            assert not unknown, (name, container["name"], unknown)


def test_every_service_migrates_its_own_database_before_it_starts() -> None:
    objects = base_objects()
    deployments = by_kind(objects, "Deployment")
    for name in SERVICES:
        (migrate,) = containers(deployments[name], init=True)
        python, dash_m, module, service, package = migrate["command"]
        assert (python, dash_m, module, service) == ("python", "-m", "kit.migrate", name)
        migrations_of(package)  # an installed package with Alembic migrations
        env = environment(migrate, objects)
        assert env[f"TAPEDECK_{name.upper()}_DATABASE_URL"] == (
            "secret",
            "tapedeck-databases",
            name,
        )
    assert not containers(deployments["gateway"], init=True)


def test_each_pod_gets_only_the_secrets_it_needs() -> None:
    objects = base_objects()
    deployments = by_kind(objects, "Deployment")

    def secrets(name: str) -> set[tuple[str, str]]:
        env = environment(containers(deployments[name])[0], objects)
        return {(v[1], v[2]) for v in env.values() if isinstance(v, tuple) and v[0] == "secret"}

    assert secrets("gateway") == {
        ("tapedeck-gateway", "caller-credential"),
        ("tapedeck-gateway", "metrics-token"),
    }
    assert secrets("auth") == {
        ("tapedeck-internal", "internal-token"),
        ("tapedeck-databases", "auth"),
        ("tapedeck-spotify", "client-id"),
        ("tapedeck-spotify", "client-secret"),
        ("tapedeck-auth", "jwt-private-key"),
        ("tapedeck-auth", "token-encryption-key"),
    }
    for name in SERVICES:
        if name != "auth":
            # Those that call Spotify share the app's pace (kit.spotify.rate_store).
            paced = {("tapedeck-databases", "spotify-rate")} if name in CALL_SPOTIFY else set()
            assert secrets(name) == {
                ("tapedeck-internal", "internal-token"),
                ("tapedeck-databases", name),
                *paced,
            }
    assert secrets("download-worker") == {("tapedeck-databases", "download")}


def test_secrets_are_placeholders_and_every_reference_is_declared() -> None:
    dev, prod = list(_rendered("dev")), list(_rendered("prod"))
    # prod applies no Secret: the real ones come from the operator's secret store.
    assert not by_kind(prod, "Secret")
    declared = {
        (name, key)
        for name, secret in by_kind(dev, "Secret").items()
        for key in secret["stringData"]
    }
    for name, secret in by_kind(dev, "Secret").items():
        for key, value in secret["stringData"].items():
            assert PLACEHOLDER in value, f"{name}/{key} holds something other than a placeholder"
    for objects in (dev, prod):
        for workload in [
            *by_kind(objects, "Deployment").values(),
            *by_kind(objects, "StatefulSet").values(),
        ]:
            spec = workload["spec"]["template"]["spec"]
            for container in spec["containers"] + spec.get("initContainers", []):
                for value in environment(container, objects).values():
                    if isinstance(value, tuple) and value[0] == "secret":
                        assert (value[1], value[2]) in declared, value


def test_only_the_gateway_and_the_services_reach_the_services(rendered: list[Object]) -> None:
    policies = by_kind(rendered, "NetworkPolicy")
    deny = policies["default-deny"]["spec"]
    assert deny["podSelector"] == {} and set(deny["policyTypes"]) == {"Ingress", "Egress"}
    grpc = policies["grpc-services"]["spec"]
    (rule,) = grpc["ingress"]
    assert {tuple(peer["podSelector"]["matchLabels"].items()) for peer in rule["from"]} == {
        (("app.kubernetes.io/component", "gateway"),),
        (("app.kubernetes.io/component", "grpc-service"),),
    }
    # The gateway goes out to the services and DNS only: no database, no internet.
    egress = policies["gateway"]["spec"]["egress"]
    assert {p["port"] for rule in egress for p in rule["ports"]} == {"grpc", 53}
    components = {
        o["metadata"]["name"]: o["spec"]["template"]["metadata"]["labels"][
            "app.kubernetes.io/component"
        ]
        for o in by_kind(rendered, "Deployment").values()
    }
    assert components == {
        **dict.fromkeys(SERVICES, "grpc-service"),
        "gateway": "gateway",
        "download-worker": "worker",
    }
    if "postgres" in by_kind(rendered, "StatefulSet"):
        (rule,) = policies["postgres"]["spec"]["ingress"]
        assert rule["from"] == [
            {"podSelector": {"matchLabels": {"app.kubernetes.io/component": component}}}
            for component in ("grpc-service", "worker")
        ]
    # The workers take no calls at all.
    workers = policies["download-workers"]["spec"]
    assert "Ingress" in workers["policyTypes"] and not workers.get("ingress")


def test_the_gateway_and_the_download_workers_scale_and_keep_a_replica(
    rendered: list[Object],
) -> None:
    worker = by_kind(rendered, "Deployment")["download-worker"]
    (container,) = containers(worker)
    assert container["command"] == ["python", "-m", "download", "worker"]
    # The service runs none itself: every worker is one the autoscaler counts.
    (service,) = containers(by_kind(rendered, "Deployment")["download"])
    assert environment(service, rendered)["TAPEDECK_DOWNLOAD_EMBEDDED_WORKER"] == "false"
    for name in ("gateway", "download-worker"):
        hpa = by_kind(rendered, "HorizontalPodAutoscaler")[name]["spec"]
        assert hpa["scaleTargetRef"] == {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "name": name,
        }
        assert hpa["maxReplicas"] > hpa["minReplicas"] >= 1
        pdb = by_kind(rendered, "PodDisruptionBudget")[name]["spec"]
        assert pdb["selector"] == {"matchLabels": {"app.kubernetes.io/name": name}}


def test_every_container_has_requests_limits_and_runs_unprivileged(rendered: list[Object]) -> None:
    workloads = [
        *by_kind(rendered, "Deployment").values(),
        *by_kind(rendered, "StatefulSet").values(),
    ]
    for workload in workloads:
        spec = workload["spec"]["template"]["spec"]
        assert spec["securityContext"]["runAsNonRoot"] is True
        assert spec["securityContext"]["runAsUser"] != 0
        for container in spec["containers"] + spec.get("initContainers", []):
            resources = container["resources"]
            assert {"cpu", "memory"} <= set(resources["requests"]), container["name"]
            assert {"cpu", "memory"} <= set(resources["limits"]), container["name"]
            assert container["securityContext"]["allowPrivilegeEscalation"] is False
            assert container["securityContext"]["capabilities"] == {"drop": ["ALL"]}


def test_dev_brings_postgresql_with_a_database_per_service_and_prod_an_external_one() -> None:
    dev, prod = list(_rendered("dev")), list(_rendered("prod"))
    assert "postgres" in by_kind(dev, "StatefulSet")
    assert not by_kind(prod, "StatefulSet")
    script = by_kind(dev, "ConfigMap")["postgres-initdb"]["data"]["databases.sql"]
    databases = {*SERVICES, "spotify_rate"}
    assert {f"CREATE DATABASE tapedeck_{name};" for name in databases} <= set(script.splitlines())
    urls = by_kind(dev, "Secret")["tapedeck-databases"]["stringData"]
    assert {name: url.rsplit("/", 1)[1] for name, url in urls.items()} == {
        **{name: f"tapedeck_{name}" for name in SERVICES},
        "spotify-rate": "tapedeck_spotify_rate",
    }
    for objects, namespace in ((dev, "tapedeck-dev"), (prod, "tapedeck")):
        namespaced = [o for o in objects if o["kind"] != "Namespace"]
        assert {o["metadata"]["namespace"] for o in namespaced} == {namespace}
        images = {
            c["image"] for d in by_kind(objects, "Deployment").values() for c in containers(d)
        }
        # Every image at an explicit tag, never an implicit :latest.
        assert all(":" in image and not image.endswith(":latest") for image in images), images
