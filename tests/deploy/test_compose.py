"""deploy/compose.yaml against the Compose specification's JSON schema (vendored in
deploy/schemas/), and what the file must say beyond the schema: every service built from
its own target, health checks on the gRPC health service, a database per service, secrets
from the environment (never written in the file), and the emulator behind a profile."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import jsonschema  # type: ignore[import-untyped]  # no types-jsonschema in the lock
import pytest
import yaml
from pydantic_settings import BaseSettings
from teststack.manifests import DEPLOY

from auth.settings import AuthSettings
from collection.settings import EntitySettings
from download.settings import DownloadSettings
from gateway.settings import GatewaySettings
from kit.settings import DEFAULT_PORTS, ENTITY_SERVICES, SERVICES
from library.settings import LibrarySettings

COMPOSE = DEPLOY / "compose.yaml"
SETTINGS: dict[str, type[BaseSettings]] = {
    "auth": AuthSettings,
    "library": LibrarySettings,
    **dict.fromkeys(ENTITY_SERVICES, EntitySettings),
    "download": DownloadSettings,
    "gateway": GatewaySettings,
}
SECRET_WORDS = re.compile(r"SECRET|TOKEN|PASSWORD|PRIVATE_KEY|ENCRYPTION_KEY|CREDENTIAL")
SECRET_VARIABLES = (
    "TAPEDECK_INTERNAL_TOKEN",
    "TAPEDECK_CALLER_CREDENTIAL",
    "TAPEDECK_JWT_PRIVATE_KEY",
    "TAPEDECK_TOKEN_ENCRYPTION_KEY",
    "TAPEDECK_SPOTIFY_CLIENT_SECRET",
)


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft201909Validator:
    schema = json.loads((DEPLOY / "schemas" / "compose-spec.json").read_text())
    jsonschema.Draft201909Validator.check_schema(schema)
    return jsonschema.Draft201909Validator(schema)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return loaded


def test_the_compose_file_follows_the_compose_specification(
    validator: jsonschema.Draft201909Validator, compose: dict[str, Any]
) -> None:
    errors = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(compose)]
    assert not errors, errors


def test_the_schema_refuses_what_compose_would_refuse(
    validator: jsonschema.Draft201909Validator, compose: dict[str, Any]
) -> None:
    """The check above can fail: a misspelt key and a wrong depends_on condition are errors."""
    broken = copy.deepcopy(compose)
    broken["services"]["auth"]["healthcheck"]["intervall"] = "5s"
    assert not validator.is_valid(broken)
    broken = copy.deepcopy(compose)
    broken["services"]["auth"]["depends_on"]["postgres"]["condition"] = "healthy"
    assert not validator.is_valid(broken)


def test_every_service_is_built_from_its_target_and_checked_on_grpc_health(
    compose: dict[str, Any],
) -> None:
    services = compose["services"]
    for name in SERVICES:
        service = services[name]
        assert service["build"] == {
            "context": "..",
            "dockerfile": "deploy/Dockerfile",
            "target": name,
        }
        port = DEFAULT_PORTS[name]
        assert service["healthcheck"]["test"] == [
            "CMD",
            "python",
            "-m",
            "kit.probe",
            f"127.0.0.1:{port}",
        ]
        env = service["environment"]
        assert env[f"TAPEDECK_{name.upper()}_ADDR"] == f"0.0.0.0:{port}"
        assert env[f"TAPEDECK_{name.upper()}_DATABASE_URL"].endswith(
            f"@postgres:5432/tapedeck_{name}"
        )
        assert service["depends_on"]["postgres"] == {"condition": "service_healthy"}
        assert service["user"] != "0" and service["read_only"] is True
    assert services["gateway"]["build"]["target"] == "gateway"
    # The gateway gets its own credential, never the root token or a database.
    gateway_env = services["gateway"]["environment"]
    assert "TAPEDECK_INTERNAL_TOKEN" not in gateway_env
    assert not any(key.endswith("_DATABASE_URL") for key in gateway_env)


def test_postgresql_gets_a_database_per_service_on_first_start(compose: dict[str, Any]) -> None:
    postgres = compose["services"]["postgres"]
    (init,) = [v for v in postgres["volumes"] if "docker-entrypoint-initdb.d" in v]
    script = (DEPLOY / init.split(":")[0]).read_text()
    assert {f"CREATE DATABASE tapedeck_{name};" for name in SERVICES} <= set(script.splitlines())
    assert "postgres-data" in compose["volumes"] and "downloads" in compose["volumes"]


def test_secrets_come_from_the_environment_and_are_never_written_in_the_file(
    compose: dict[str, Any],
) -> None:
    for name, service in compose["services"].items():
        for key, value in (service.get("environment") or {}).items():
            if key in SECRET_VARIABLES or "PASSWORD" in key:
                # ${VAR:?why}: compose refuses to start without it, and says why.
                assert re.fullmatch(r"\$\{TAPEDECK_\w+:\?[^}]+\}", str(value)), (name, key, value)
            if key.endswith("_DATABASE_URL"):
                assert "${TAPEDECK_POSTGRES_PASSWORD}" in value, (name, key)
    assert compose["secrets"]["demo-client-secret"] == {"file": "./demo-client-secret"}


def test_the_emulator_starts_only_in_the_demo_profile(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert services["emulator"]["profiles"] == ["demo"]
    assert all("profiles" not in s for n, s in services.items() if n != "emulator")
    command = services["emulator"]["command"]
    # Its client secret is a file, never a command-line value anyone could read with ps.
    assert command[command.index("--client-secret-file") + 1] == "/run/secrets/demo-client-secret"


def test_every_variable_a_container_gets_is_a_setting_its_process_reads(
    compose: dict[str, Any],
) -> None:
    """A misspelt variable would be ignored and silently leave the default."""
    for name, settings in SETTINGS.items():
        fields = {f"TAPEDECK_{field.upper()}" for field in settings.model_fields}
        unknown = set(compose["services"][name]["environment"]) - fields
        assert not unknown, (name, unknown)


def test_env_example_names_every_variable_compose_requires() -> None:
    """Copying deploy/env.example and filling it in is enough to start: compose stops at
    once on a required variable that is missing."""
    required = set(re.findall(r"\$\{(\w+):\?", COMPOSE.read_text()))
    assert "TAPEDECK_INTERNAL_TOKEN" in required
    example = (DEPLOY / "env.example").read_text().splitlines()
    given = {line.split("=", 1)[0] for line in example if line and not line.startswith("#")}
    assert required <= given, required - given
    # Placeholders only, never a value that could be someone's secret.
    for line in example:
        if line and not line.startswith("#"):
            name, value = line.split("=", 1)
            assert value == "REPLACE-ME" or not SECRET_WORDS.search(name), line
