"""docker-compose.yml, checked without Docker (no engine on dev machines or CI: docs/deploy.md).

Two layers: the official Compose JSON schema (tests/contracts/compose-spec.json, provenance in
tests/contracts/README-compose.md) for structure, and :func:`semantic_problems` for what the schema
cannot say (dependencies exist and are health-gated properly, secrets only come from the
environment, only the app is published). Both are shown to fail on broken documents.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from fupin.settings import ENV_VARS

ROOT = Path(__file__).resolve().parents[1]
COMPOSE_FILE = ROOT / "docker-compose.yml"
SCHEMA_FILE = ROOT / "tests" / "contracts" / "compose-spec.json"

#: Variables the app service must receive (docs/domain.md §4.2: configuration only through the environment).
APP_ENV = {
    "FUPIN_ENV",
    "FUPIN_DATABASE_URL",
    "FUPIN_MEILI_URL",
    "FUPIN_MEILI_KEY",
    "FUPIN_SECRET_KEY",
}

#: Minor version of the vendored Meilisearch OpenAPI contract (v1.53.0, docs/stack.md §1.2); the image
#: must be pinned to the same minor, and both are bumped together.
MEILI_CONTRACT_MINOR = "v1.53"

#: A secret must be a bare reference that fails when unset or has no default: ${VAR}, ${VAR:?msg},
#: ${VAR?msg}. ${VAR:-default} would put a default secret in the file.
SECRET_REFERENCE = re.compile(r"\$\{[A-Z][A-Z0-9_]*(?::?\?[^}]*)?\}")
SECRET_NAME = re.compile(r"PASSWORD|SECRET|KEY|TOKEN", re.IGNORECASE)
URL_WITH_PASSWORD = re.compile(r"^[a-z][a-z0-9+.-]*://[^:/@]+:(?P<password>[^@]*)@")


def load_compose(text: str | None = None) -> dict[str, Any]:
    document = yaml.safe_load(COMPOSE_FILE.read_text("utf-8") if text is None else text)
    assert isinstance(document, dict)
    return document


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft7Validator:
    schema = json.loads(SCHEMA_FILE.read_text("utf-8"))
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


@pytest.fixture
def compose() -> dict[str, Any]:
    return load_compose()


def schema_errors(validator: jsonschema.Draft7Validator, document: dict[str, Any]) -> list[str]:
    return [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in validator.iter_errors(document)
    ]


def environment(service: dict[str, Any]) -> dict[str, Any]:
    env = service.get("environment", {})
    if isinstance(env, list):
        return dict(item.split("=", 1) if "=" in item else (item, None) for item in env)
    return dict(env)


def semantic_problems(document: dict[str, Any]) -> list[str]:
    """What a Compose file can get wrong while still matching the schema."""
    problems: list[str] = []
    services: dict[str, Any] = document.get("services", {})
    declared_volumes = set(document.get("volumes") or {})
    for name, service in services.items():
        depends_on = service.get("depends_on", {})
        if isinstance(depends_on, list):
            depends_on = {target: {"condition": "service_started"} for target in depends_on}
        for target, rule in depends_on.items():
            if target not in services:
                problems.append(f"{name}: depends on unknown service {target}")
                continue
            condition = rule.get("condition")
            if condition == "service_healthy" and "healthcheck" not in services[target]:
                problems.append(f"{name}: waits for {target} to be healthy, it has no healthcheck")
            if condition == "service_completed_successfully" and services[target].get(
                "restart", "no"
            ) not in ("no", "on-failure"):
                problems.append(f"{name}: waits for {target} to complete, but it restarts forever")
        for key, value in environment(service).items():
            if not isinstance(value, str):
                problems.append(f"{name}: {key} is {value!r}, not a quoted string")
                continue
            if SECRET_NAME.search(key) and not SECRET_REFERENCE.fullmatch(value):
                problems.append(f"{name}: {key} is not a ${{VAR}} reference without default")
            url = URL_WITH_PASSWORD.match(value)
            if url and not SECRET_REFERENCE.fullmatch(url["password"]):
                problems.append(f"{name}: {key} has a password that is not a ${{VAR}} reference")
        if "ports" in service and name != "app":
            problems.append(f"{name}: publishes ports, only the app may")
        image = service.get("image", "")
        if "build" not in service and (":" not in image or image.endswith(":latest")):
            problems.append(f"{name}: image {image!r} is not pinned to a version")
        for mount in service.get("volumes", []):
            source = mount.split(":", 1)[0] if isinstance(mount, str) else mount.get("source", "")
            if not source.startswith((".", "/", "~")) and source not in declared_volumes:
                problems.append(f"{name}: volume {source} is not declared")
    return problems


# --- the real file -------------------------------------------------------------------------------


def test_compose_file_matches_the_compose_schema(
    validator: jsonschema.Draft7Validator, compose: dict[str, Any]
) -> None:
    assert schema_errors(validator, compose) == []


def test_compose_file_has_no_semantic_problems(compose: dict[str, Any]) -> None:
    assert semantic_problems(compose) == []


def test_stack_has_the_five_services(compose: dict[str, Any]) -> None:
    assert set(compose["services"]) == {"app", "migrate", "worker", "db", "meili"}


def test_app_gets_the_fupin_settings_and_nothing_unknown(compose: dict[str, Any]) -> None:
    for name in ("app", "migrate", "worker"):
        env = environment(compose["services"][name])
        assert set(env) >= APP_ENV, name
        assert set(env) <= set(ENV_VARS), f"{name}: variables fupin.settings does not read"
    env = environment(compose["services"]["app"])
    assert env["FUPIN_ENV"] == "production"
    assert env["FUPIN_DATABASE_URL"].endswith("@db:5432/fupin")
    assert env["FUPIN_MEILI_URL"] == "http://meili:7700"
    assert env["FUPIN_MEILI_KEY"] == compose["services"]["meili"]["environment"]["MEILI_MASTER_KEY"]
    assert env["FUPIN_SECRET_KEY"].startswith("${FUPIN_SECRET_KEY:?")
    # notification e-mail is configured from the host (none: in-app only) and /metrics is
    # protected by a token the stack cannot start without
    assert env["FUPIN_SMTP_HOST"] == "${FUPIN_SMTP_HOST:-}"
    assert env["FUPIN_METRICS_TOKEN"].startswith("${FUPIN_METRICS_TOKEN:?")


def test_app_starts_after_healthy_db_and_search_and_finished_migrations(
    compose: dict[str, Any],
) -> None:
    app = compose["services"]["app"]
    assert app["command"] == [
        "fupin",
        "serve",
        "--host",
        "0.0.0.0",
        "--port",
        "8000",
        "--workers",
        "${FUPIN_WEB_WORKERS:-2}",
    ]
    assert app["depends_on"] == {
        "db": {"condition": "service_healthy"},
        "meili": {"condition": "service_healthy"},
        "migrate": {"condition": "service_completed_successfully"},
    }
    # ready, not just alive: the database and the search engine answer (docs/operations.md)
    assert "http://127.0.0.1:8000/readyz" in " ".join(app["healthcheck"]["test"])
    assert [str(port).split(":")[-1] for port in app["ports"]] == ["8000"]


def test_migrate_and_worker_run_the_app_image(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert services["migrate"]["command"] == ["fupin", "migrate"]
    assert services["migrate"]["restart"] == "no"
    assert services["worker"]["command"] == ["fupin", "worker"]
    for name in ("migrate", "worker"):
        assert services[name]["image"] == services["app"]["image"]
        assert services[name]["build"] == services["app"]["build"]


def test_backing_services_are_pinned_and_health_checked(compose: dict[str, Any]) -> None:
    db, meili = compose["services"]["db"], compose["services"]["meili"]
    assert db["image"] == "postgres:15"
    assert db["healthcheck"]["test"][:2] == ["CMD", "pg_isready"]
    assert meili["image"] == f"getmeili/meilisearch:{MEILI_CONTRACT_MINOR}"
    assert meili["environment"]["MEILI_ENV"] == "production"
    assert meili["healthcheck"]["test"] == ["CMD", "curl", "-f", "http://127.0.0.1:7700/health"]
    assert set(compose["volumes"]) == {"postgres-data", "meili-data", "fupin-var"}


# --- the validators can fail ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("services:\n  app:\n    image: x:1\n    ports: '8000'\n", "is not of type 'array'"),
        ("services:\n  app:\n    image: x:1\nextras: {}\n", "'extras' does not match any"),
        ("services:\n  app:\n    image: x:1\n    restart: no\n", "is not of type 'string'"),
        (
            "services:\n  app:\n    image: x:1\n    depends_on:\n      db:\n"
            "        condition: service_ready\n",
            "is not valid under any of the given schemas",
        ),
        ("services:\n  app:\n    image: x:1\n    healthcheck:\n      cmd: [x]\n", "'cmd' does not"),
    ],
)
def test_schema_rejects_broken_compose_documents(
    validator: jsonschema.Draft7Validator, text: str, expected: str
) -> None:
    errors = schema_errors(validator, load_compose(text))
    assert any(expected in error for error in errors), errors


def test_compose_file_with_string_ports_fails_the_schema(
    validator: jsonschema.Draft7Validator, compose: dict[str, Any]
) -> None:
    broken = copy.deepcopy(compose)
    broken["services"]["app"]["ports"] = "8000"
    assert schema_errors(validator, broken)


def _break(compose: dict[str, Any], change: str) -> dict[str, Any]:
    broken = copy.deepcopy(compose)
    services = broken["services"]
    if change == "unknown dependency":
        services["app"]["depends_on"]["cache"] = {"condition": "service_started"}
    elif change == "no healthcheck":
        del services["meili"]["healthcheck"]
    elif change == "hard-coded password":
        services["db"]["environment"]["POSTGRES_PASSWORD"] = "hunter2"
    elif change == "default secret":
        services["app"]["environment"]["FUPIN_SECRET_KEY"] = "${FUPIN_SECRET_KEY:-changeme}"
    elif change == "password in url":
        services["app"]["environment"]["FUPIN_DATABASE_URL"] = "postgres://fupin:pw@db:5432/fupin"
    elif change == "published db":
        services["db"]["ports"] = ["5432:5432"]
    elif change == "latest image":
        services["meili"]["image"] = "getmeili/meilisearch:latest"
    elif change == "restarting migration":
        services["migrate"]["restart"] = "always"
    elif change == "undeclared volume":
        services["db"]["volumes"] = ["pgdata:/var/lib/postgresql/data"]
    elif change == "boolean env":
        services["meili"]["environment"]["MEILI_NO_ANALYTICS"] = True
    return broken


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ("unknown dependency", "app: depends on unknown service cache"),
        ("no healthcheck", "waits for meili to be healthy, it has no healthcheck"),
        ("hard-coded password", "db: POSTGRES_PASSWORD is not a ${VAR} reference"),
        ("default secret", "app: FUPIN_SECRET_KEY is not a ${VAR} reference"),
        ("password in url", "app: FUPIN_DATABASE_URL has a password"),
        ("published db", "db: publishes ports"),
        ("latest image", "meili: image 'getmeili/meilisearch:latest' is not pinned"),
        ("restarting migration", "waits for migrate to complete, but it restarts forever"),
        ("undeclared volume", "db: volume pgdata is not declared"),
        ("boolean env", "meili: MEILI_NO_ANALYTICS is True, not a quoted string"),
    ],
)
def test_semantic_checks_catch_broken_stacks(
    compose: dict[str, Any], change: str, expected: str
) -> None:
    problems = semantic_problems(_break(compose, change))
    assert any(expected in problem for problem in problems), problems


# --- Dockerfile and build context ----------------------------------------------------------------


def test_dockerfile_installs_the_repository_editable_and_runs_unprivileged() -> None:
    lines = [
        line.strip()
        for line in (ROOT / "Dockerfile").read_text("utf-8").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    assert lines[0] == "FROM python:3.11-slim"
    assert "COPY . ." in lines
    assert any("pip install" in line and "-e ." in line for line in lines)
    assert "EXPOSE 8000" in lines
    user = next(i for i, line in enumerate(lines) if line.startswith("USER "))
    assert lines[user] != "USER root"
    assert user > max(i for i, line in enumerate(lines) if line.startswith("RUN "))
    assert lines[-1].startswith("CMD ")


def test_build_context_leaves_out_history_secrets_and_local_state() -> None:
    ignored = {
        line.strip()
        for line in (ROOT / ".dockerignore").read_text("utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {".git", ".env", "var", "**/__pycache__"} <= ignored
    for needed in ("platform", "templates", "static", "search", "data", "pyproject.toml"):
        assert needed not in ignored
