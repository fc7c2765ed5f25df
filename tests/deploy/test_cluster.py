"""A cluster on one machine: every Tapedeck service and the gateway as a process of its own,
each service on a loopback address of its own (127.0.0.11, .12, ... as pods have theirs), every
service on a PostgreSQL database of its own, each process given exactly the variables its
Kubernetes manifest gives it (deploy/k8s/base, read here: a variable the manifest names and
this test cannot fill fails it), after its init container's migration ran. The flow a
person goes through then works: log in, save, read, export."""

from __future__ import annotations

import csv
import io
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
import sqlalchemy as sa
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from teststack.login import login
from teststack.manifests import Object, base_objects, by_kind, containers, environment

from kit.credentials import derive
from kit.database import create_engine, migrate
from kit.migrate import migrations_of
from kit.probe import main as probe
from kit.settings import SERVICES
from kit.testing.databases import fresh_postgres_database, postgres_available

# Far above the ~20 s it takes on two idle cores; below pytest-timeout (180 s).
START_TIMEOUT_S = 150
EMULATOR_HOST = "127.0.0.10"
# One address per process, as each pod has its own. The gateway, the edge people reach,
# is on 127.0.0.1: Spotify takes a plain-HTTP redirect URI on that address only.
HOSTS = {name: f"127.0.0.{11 + i}" for i, name in enumerate(SERVICES)} | {"gateway": "127.0.0.1"}
CLIENT_ID = "tapedeck-cluster-test"
# Values that mean the same on one machine as on a cluster.
AS_IN_THE_MANIFEST = {
    "TAPEDECK_LOG_LEVEL",
    "TAPEDECK_DOWNLOAD_EMBEDDED_WORKER",
    "TAPEDECK_DOWNLOAD_CONCURRENCY",
    "TAPEDECK_SCHEDULER",
}
# The processes a cluster runs: the manifests' Deployments.
PROCESSES = (*SERVICES, "download-worker", "gateway")


def _free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        port: int = s.getsockname()[1]
    return port


@dataclass
class Cluster:
    root: Path
    databases: dict[str, str]
    secrets: dict[tuple[str, str], str]
    addresses: dict[str, str]
    emulator_url: str
    processes: dict[str, subprocess.Popen[bytes]]

    @property
    def url(self) -> str:
        return f"http://{self.addresses['gateway']}"

    def log(self, name: str) -> str:
        return (self.root / "logs" / f"{name}.log").read_text(errors="replace")


def _value(name: str, value: Any, process: str, cluster: Cluster) -> str:
    """What the cluster's variable `name` (`value` in the manifest) is on this machine."""
    if isinstance(value, tuple):
        kind, source, key = value
        if (kind, source, key) == ("configMap", "tapedeck-public", "public-url"):
            return cluster.url
        if kind == "secret" and source == "tapedeck-databases":
            return cluster.databases[key]
        if kind == "secret" and (source, key) in cluster.secrets:
            return cluster.secrets[(source, key)]
        raise AssertionError(f"{process}: no value for {name} from {value} in this test")
    if name == "TAPEDECK_DATA_DIR":
        return str(cluster.root / "data" / process)
    if name == "TAPEDECK_DOWNLOADS_DIR":
        return str(cluster.root / "downloads")
    if name in AS_IN_THE_MANIFEST:
        return str(value)
    if name == "TAPEDECK_HTTP_HOST":
        return HOSTS["gateway"]
    if name == "TAPEDECK_HTTP_PORT":
        return cluster.addresses["gateway"].rsplit(":", 1)[1]
    if name.endswith("_METRICS_ADDR"):
        return f"{HOSTS[process]}:{_free_port(HOSTS[process])}"
    for service in SERVICES:
        if name == f"TAPEDECK_{service.upper()}_ADDR":
            # The manifest's `0.0.0.0:port` (its own) or `service:port` (another's): here,
            # the address that process has on this machine.
            return cluster.addresses[service]
    raise AssertionError(f"{process}: this test does not know how to set {name}={value!r}")


def _environment(
    container: Object, objects: list[Object], process: str, cluster: Cluster
) -> dict[str, str]:
    # Nothing of the test's own TAPEDECK_ settings leaks in: only what the manifest names.
    env = {k: v for k, v in os.environ.items() if not k.startswith("TAPEDECK_")}
    for name, value in environment(container, objects).items():
        env[name] = _value(name, value, process, cluster)
    if process in SERVICES:
        # The one difference from a cluster: Spotify is the emulator (the manifests leave
        # Spotify's URLs at their defaults).
        env["TAPEDECK_SPOTIFY_API_URL"] = f"{cluster.emulator_url}/v1"
        env["TAPEDECK_SPOTIFY_ACCOUNTS_URL"] = cluster.emulator_url
    return env


def _spawn(
    cluster: Cluster, name: str, command: list[str], env: dict[str, str]
) -> subprocess.Popen[bytes]:
    (cluster.root / "logs").mkdir(exist_ok=True)
    cwd = cluster.root / "data" / name
    cwd.mkdir(parents=True, exist_ok=True)
    with (cluster.root / "logs" / f"{name}.log").open("wb") as log:
        # cwd: a folder of its own, so no .env file of the work tree is read.
        return subprocess.Popen(command, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT)


def _wait_listening(host: str, port: int, process: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        assert process.poll() is None, f"{what} exited"
        try:
            socket.create_connection((host, port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"{what} did not listen in {START_TIMEOUT_S}s")


def _stop(processes: dict[str, subprocess.Popen[bytes]]) -> None:
    for process in processes.values():
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes.values():
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def cluster(
    tmp_path_factory: pytest.TempPathFactory, postgres_module_databases: Callable[[], str]
) -> Iterator[Cluster]:
    root = tmp_path_factory.mktemp("cluster")
    internal_token = secrets.token_urlsafe(32)
    client_secret = secrets.token_urlsafe(24)
    secret_file = root / "client-secret"
    secret_file.write_text(client_secret)
    secret_file.chmod(0o600)
    jwt_key = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    emulator_port = _free_port(EMULATOR_HOST)
    addresses = {name: f"{host}:{_free_port(host)}" for name, host in HOSTS.items()}
    cluster = Cluster(
        root=root,
        databases={name: postgres_module_databases() for name in (*SERVICES, "spotify-rate")},
        secrets={
            ("tapedeck-internal", "internal-token"): internal_token,
            ("tapedeck-gateway", "caller-credential"): derive(internal_token, "gateway"),
            ("tapedeck-gateway", "metrics-token"): secrets.token_urlsafe(32),
            ("tapedeck-auth", "jwt-private-key"): jwt_key.decode(),
            ("tapedeck-auth", "token-encryption-key"): Fernet.generate_key().decode(),
            ("tapedeck-spotify", "client-id"): CLIENT_ID,
            ("tapedeck-spotify", "client-secret"): client_secret,
        },
        addresses=addresses,
        emulator_url=f"http://{EMULATOR_HOST}:{emulator_port}",
        processes={},
    )
    python = sys.executable
    objects = base_objects()
    deployments = by_kind(objects, "Deployment")
    # A Deployment added to the manifests is a process this test must run too.
    assert set(deployments) == set(PROCESSES)
    try:
        emulator = _spawn(
            cluster,
            "emulator",
            [
                python,
                "-m",
                "spotify_emulator",
                "--host",
                EMULATOR_HOST,
                "--port",
                str(emulator_port),
                "--profile",
                "tiny",
                "--client-id",
                CLIENT_ID,
                "--client-secret-file",
                str(secret_file),
                "--no-state-file",
            ],
            {k: v for k, v in os.environ.items() if not k.startswith("TAPEDECK_")},
        )
        cluster.processes["emulator"] = emulator
        # The init containers first: each service's migration, as its manifest runs it
        # (`python -m kit.migrate <service> <package>`), here in this process (one
        # interpreter instead of seven) on the URL the manifest gives it.
        for name in SERVICES:
            (init,) = containers(deployments[name], init=True)
            _python, _m, _module, service, package = init["command"]
            env = _environment(init, objects, name, cluster)
            engine = create_engine(env[f"TAPEDECK_{service.upper()}_DATABASE_URL"])
            try:
                migrate(engine, migrations_of(package))
            finally:
                engine.dispose()
        for name in PROCESSES:
            (container,) = containers(deployments[name])
            env = _environment(container, objects, name, cluster)
            # The manifest's command, else what the image runs (deploy/Dockerfile's CMD).
            command = container.get("command", ["python", "-m", name])
            cluster.processes[name] = _spawn(cluster, name, [python, *command[1:]], env)
        _wait_listening(EMULATOR_HOST, emulator_port, emulator, "the emulator")
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            for name, process in cluster.processes.items():
                assert process.poll() is None, f"{name} exited: {cluster.log(name)[-3000:]}"
            try:
                if requests.get(f"{cluster.url}/readyz", timeout=3).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline, "the cluster was not ready in time"
            time.sleep(0.25)
        yield cluster
    finally:
        _stop(cluster.processes)


@pytest.fixture(scope="module")
def postgres_module_databases() -> Iterator[Callable[[], str]]:
    """Fresh PostgreSQL databases for the module's one cluster, all dropped after it."""
    why = postgres_available()
    if why is not None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"PostgreSQL must be reachable under CI=true: {why}")
        pytest.skip(f"PostgreSQL is not reachable ({why}): a cluster runs on PostgreSQL")
    with ExitStack() as databases:
        yield lambda: databases.enter_context(fresh_postgres_database("tapedeck_cluster"))


def _get(cluster: Cluster, token: str, path: str) -> requests.Response:
    answer = requests.get(
        f"{cluster.url}{path}", headers={"Authorization": f"Bearer {token}"}, timeout=30
    )
    assert answer.status_code == 200, (path, answer.status_code, answer.text[:500])
    return answer


def test_every_service_serves_grpc_health_on_its_own_address(cluster: Cluster) -> None:
    # What the manifests' gRPC probes ask, and compose's health check (python -m kit.probe).
    for name in SERVICES:
        assert cluster.addresses[name].startswith(HOSTS[name] + ":")
        assert probe([cluster.addresses[name]]) == 0, name
    assert probe([f"{HOSTS['auth']}:{_free_port(HOSTS['auth'])}", "--timeout", "0.5"]) == 1


def test_login_save_read_and_export_on_the_cluster(cluster: Cluster) -> None:
    token = login(cluster.url)
    started = requests.post(
        f"{cluster.url}/api/v1/library/saves",
        headers={"Authorization": f"Bearer {token}"},
        json={},
        timeout=30,
    )
    assert started.status_code == 202, started.text
    save_id = started.json()["id"]
    deadline = time.monotonic() + 60
    while (save := _get(cluster, token, f"/api/v1/library/saves/{save_id}").json())["status"] in (
        "queued",
        "running",
    ):
        assert time.monotonic() < deadline, save
        time.sleep(0.2)
    assert save["status"] == "succeeded", save
    counts = save["counts"]
    assert all(counts[kind] > 0 for kind in ("playlists", "tracks", "albums", "artists")), counts

    playlists = _get(cluster, token, "/api/v1/playlists?limit=50").json()
    assert playlists["total"] == counts["playlists"]
    assert _get(cluster, token, "/api/v1/tracks?limit=1").json()["total"] == counts["tracks"]
    assert _get(cluster, token, "/api/v1/albums?limit=1").json()["total"] == counts["albums"]
    assert _get(cluster, token, "/api/v1/artists?limit=1").json()["total"] == counts["artists"]

    # The biggest playlist, read back item for item, and exported: the CSV holds every
    # item's URI in playlist order (items Spotify sent as null are skipped, as Exportify does).
    totals = {
        p["id"]: _get(cluster, token, f"/api/v1/playlists/{p['id']}/tracks?limit=1").json()["total"]
        for p in playlists["items"]
    }
    biggest = max(totals, key=lambda playlist_id: totals[playlist_id])
    assert totals[biggest] > 50  # more than a page of items
    items: list[dict[str, Any]] = []
    while len(items) < totals[biggest]:
        page = _get(
            cluster, token, f"/api/v1/playlists/{biggest}/tracks?limit=50&offset={len(items)}"
        ).json()
        assert page["items"], page
        items += page["items"]
    uris = [
        obj["uri"] for item in items if (obj := item.get("item") or item.get("track")) is not None
    ]
    exported = _get(cluster, token, f"/api/v1/exports/playlists/{biggest}.csv")
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8"))))
    assert rows[0][0] == "Track URI"
    assert [row[0] for row in rows[1:]] == uris

    archive = zipfile.ZipFile(
        io.BytesIO(_get(cluster, token, "/api/v1/exports/library.zip?format=csv").content)
    )
    liked = archive.read("liked.csv").decode("utf-8")
    assert len(list(csv.reader(io.StringIO(liked)))) - 1 == counts["tracks"]


def test_every_service_kept_its_data_in_its_own_postgresql_database(cluster: Cluster) -> None:
    # Every process is still up, the download workers (which take no calls) among them.
    assert {n: p.returncode for n, p in cluster.processes.items() if p.poll() is not None} == {}
    # Nothing fell back to SQLite in a data directory.
    assert not list(cluster.root.rglob("*.db")), list(cluster.root.rglob("*.db"))
    for name, url in cluster.databases.items():
        engine = sa.create_engine(url)
        try:
            with engine.connect() as conn:
                tables = set(sa.inspect(conn).get_table_names())
                if name == "spotify-rate":
                    # The app's Spotify pace, shared by every process that calls Spotify.
                    assert tables == {"spotify_rates"}, tables
                    continue
                assert "alembic_version" in tables, name
                revisions = conn.execute(sa.text("SELECT count(*) FROM alembic_version")).scalar()
                assert revisions is not None and revisions >= 1, name
        finally:
            engine.dispose()
    # Secrets were given, never generated into a data directory (every pod would differ).
    assert not list(cluster.root.rglob("keys"))
