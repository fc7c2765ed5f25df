"""deploy/Dockerfile, linted for the essentials (no Docker engine or hadolint runs here): a
pinned base, one target per process running that process's module as a non-root user,
only that member installed from the lock file, the gRPC code generated in, ffmpeg in the
download image, and nothing secret or local sent into or baked into a layer."""

from __future__ import annotations

import re
import shlex
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from teststack.manifests import DEPLOY, base_objects, by_kind

from kit.settings import SERVICES

ROOT = DEPLOY.parent
DOCKERFILE = DEPLOY / "Dockerfile"
# Each image's target, the workspace member it installs, and the module it runs.
TARGETS = {
    **{name: (f"tapedeck-{name}", name) for name in SERVICES},
    "gateway": ("tapedeck-gateway", "gateway"),
    "emulator": ("tapedeck-spotify-emulator", "spotify_emulator"),
}
SECRET_WORDS = re.compile(r"SECRET|TOKEN|PASSWORD|PRIVATE|_KEY\b|CREDENTIAL", re.IGNORECASE)


@dataclass
class Stage:
    base: str
    name: str
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def last(self, keyword: str) -> str | None:
        found = [arg for kw, arg in self.instructions if kw == keyword]
        return found[-1] if found else None


def parse(text: str) -> tuple[dict[str, str], list[Stage]]:
    """Global ARGs (with defaults) and stages, continuation lines joined, comments dropped."""
    lines: list[str] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        lines.append(pending + line)
        pending = ""
    args: dict[str, str] = {}
    stages: list[Stage] = []
    for line in lines:
        keyword, _, rest = line.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            words = rest.split()
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else ""
            stages.append(Stage(words[0], name))
        elif not stages and keyword == "ARG":
            key, _, default = rest.partition("=")
            args[key] = default
        elif stages:
            stages[-1].instructions.append((keyword, rest.strip()))
    return args, stages


def _stages() -> tuple[dict[str, str], dict[str, Stage], list[Stage]]:
    args, stages = parse(DOCKERFILE.read_text())
    return args, {s.name: s for s in stages if s.name}, stages


def _chain(stage: Stage, named: dict[str, Stage]) -> list[Stage]:
    """A stage and every stage it is built FROM, nearest first."""
    chain = [stage]
    while chain[-1].base in named:
        chain.append(named[chain[-1].base])
    return chain


def _resolve(image: str, args: dict[str, str]) -> str:
    return re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: args[m.group(1) or m.group(2)], image)


def test_every_external_base_is_pinned_to_a_release() -> None:
    args, named, stages = _stages()
    external = {_resolve(s.base, args) for s in stages if s.base not in named}
    assert external
    for image in external:
        name, _, tag = image.partition("@")[0].rpartition(":")
        # A patch release (python:3.11.14-slim-bookworm) or a digest; never latest or a
        # bare major version that moves under you.
        assert "@sha256:" in image or re.match(r"\d+\.\d+\.\d+", tag), image


def test_there_is_a_target_per_process_running_its_module_as_a_non_root_user() -> None:
    _, named, _ = _stages()
    for target, (_member, module) in TARGETS.items():
        chain = _chain(named[target], named)
        users = [u for stage in chain if (u := stage.last("USER"))]
        assert users, f"{target} runs as root"
        user = users[0].split(":")[0]
        assert user not in ("root", "0"), target
        run = chain[0].last("ENTRYPOINT") or chain[0].last("CMD")
        assert run is not None and f'"-m", "{module}"' in run, (target, run)
        assert (ROOT / _module_path(module) / "__main__.py").is_file(), module


def _module_path(module: str) -> Path:
    for member in [*ROOT.glob("*/pyproject.toml"), *ROOT.glob("services/*/pyproject.toml")]:
        if (member.parent / module / "__init__.py").is_file():
            return member.parent / module
    raise AssertionError(f"no workspace member holds {module}")


def test_each_image_installs_only_its_member_from_the_lock_file() -> None:
    _, named, _ = _stages()
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    members = {p["name"] for p in lock["package"] if p.get("source", {}).get("editable")}
    for target, (member, _module) in TARGETS.items():
        copies = [arg for kw, arg in named[target].instructions if kw == "COPY"]
        (venv,) = [c for c in copies if "/app/.venv" in c]
        source = re.search(r"--from=(\S+)", venv)
        assert source is not None, target
        syncs = [arg for kw, arg in named[source.group(1)].instructions if kw == "RUN"]
        (sync,) = syncs
        words = shlex.split(sync)
        assert words[:2] == ["uv", "sync"], sync
        # From uv.lock as it is, without the dev tools, not editable (the sources are not
        # in the image), and one member with what it depends on.
        assert {"--locked", "--no-dev", "--no-editable"} <= set(words), sync
        assert words[words.index("--package") + 1] == member
        assert member in members, f"{member} is not a workspace member in uv.lock"


def test_the_grpc_code_is_generated_into_the_build() -> None:
    _, named, _ = _stages()
    runs = " ".join(arg for kw, arg in named["build"].instructions if kw == "RUN")
    assert "grpc_tools.protoc" in runs and "--grpc_python_out=protos/gen" in runs
    for target in TARGETS:
        # Every virtualenv stage is built from the stage that generated the code.
        (copy,) = [a for kw, a in named[target].instructions if kw == "COPY" and "/app/.venv" in a]
        venv = re.search(r"--from=(\S+)", copy)
        assert venv is not None and "build" in [s.name for s in _chain(named[venv.group(1)], named)]


def test_the_gateway_image_serves_the_web_app_built_from_the_lock_file() -> None:
    _, named, _ = _stages()
    web = named["web"].instructions
    assert ("RUN", "npm ci --no-audit --no-fund") in web and ("RUN", "npm run build") in web
    gateway = named["gateway"]
    assert ("COPY", "--from=web /web/dist /app/web") in gateway.instructions
    assert gateway.last("ENV") == "TAPEDECK_WEB_DIR=/app/web"
    for target in TARGETS:
        if target != "gateway":
            assert not any("--from=web" in a for _, a in named[target].instructions), target


def test_the_download_image_carries_ffmpeg_and_the_others_do_not() -> None:
    _, named, _ = _stages()
    for target in TARGETS:
        runs = " ".join(
            arg for s in _chain(named[target], named) for kw, arg in s.instructions if kw == "RUN"
        )
        assert ("ffmpeg" in runs) == (target == "download"), target


def test_no_secret_is_baked_into_a_layer_or_sent_to_the_build() -> None:
    args, _, stages = _stages()
    for key in args:
        assert not SECRET_WORDS.search(key), key
    for stage in stages:
        for keyword, arg in stage.instructions:
            if keyword in ("ENV", "ARG", "LABEL"):
                assert not SECRET_WORDS.search(arg), (keyword, arg)
            if keyword in ("COPY", "ADD"):
                assert ".env" not in arg and "keys" not in arg, arg
    ignored = (DEPLOY / "Dockerfile.dockerignore").read_text().splitlines()
    # The build context is the repository: local settings, data (with keys) and the
    # virtualenv stay out of it.
    for pattern in ("**/.env", "var/", ".venv/", ".git/", "**/*.pem", "**/*.key"):
        assert pattern in ignored, pattern


def test_the_parser_sees_what_a_bad_dockerfile_does_wrong() -> None:
    """The checks above can fail: this file's faults are all found."""
    args, stages = parse(
        "ARG BASE=python:latest\nFROM ${BASE} AS x\nENV TAPEDECK_INTERNAL_TOKEN=abc \\\n"
        '    OTHER=1\nCOPY .env /app/\nCMD ["python", "-m", "x"]\n'
    )
    (stage,) = stages
    assert _resolve(stage.base, args) == "python:latest"
    assert stage.last("USER") is None
    assert SECRET_WORDS.search(stage.last("ENV") or "")
    assert stage.last("COPY") == ".env /app/"


def test_the_image_user_is_the_one_compose_and_kubernetes_run_as() -> None:
    """A mismatch would leave the data directory unwritable (it is owned by the image's user)."""
    _, named, _ = _stages()
    runtime = " ".join(arg for kw, arg in named["runtime"].instructions if kw == "RUN")
    assert "--uid 10001" in runtime and "--gid 10001" in runtime
    assert "chown -R tapedeck:tapedeck /var/lib/tapedeck" in runtime
    assert "mkdir -p /var/lib/tapedeck/downloads" in runtime  # the downloads volume's owner
    assert {named[target].last("USER") for target in TARGETS} == {"10001:10001"}
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    for name in (*SERVICES, "gateway", "emulator"):
        assert compose["services"][name]["user"] == "10001:10001", name
    for deployment in by_kind(base_objects(), "Deployment").values():
        context = deployment["spec"]["template"]["spec"]["securityContext"]
        assert (context["runAsUser"], context["runAsGroup"]) == (10001, 10001)
