"""No Docker engine runs here, so the compose stack is checked against the project itself."""

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
APP_SERVICES = ("migrate", "web", "worker", "beat")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def settings_variables() -> set[str]:
    text = (ROOT / "dashboard" / "settings.py").read_text()
    return set(re.findall(r'env_\w+\(\s*"([A-Z0-9_]+)"', text))


def script_variables(script: Path) -> set[str]:
    return set(re.findall(r"\$\{?([A-Z][A-Z0-9_]+)", script.read_text()))


def test_the_stack_has_every_service_with_healthchecks(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(services) >= {"redis", "postgres", "migrate", "web", "worker", "beat"}
    for name in ("redis", "postgres", "web"):
        assert "healthcheck" in services[name], name
    assert services["beat"]["deploy"]["replicas"] == 1
    assert services["web"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


def test_commands_point_at_real_entry_scripts_and_commands(compose: dict[str, Any]) -> None:
    makefile = (ROOT / "Makefile").read_text()
    for name in APP_SERVICES:
        command = compose["services"][name]["command"]
        argv = command if isinstance(command, list) else shlex.split(command)
        if argv[0].startswith("bin/"):
            script = ROOT / argv[0]
            assert script.is_file() and script.stat().st_mode & 0o111, argv[0]
            # The same entry scripts run under `make dev`, so the end-to-end tests exercise them.
            assert argv[0] in makefile, f"{argv[0]} is not used by make dev"
        else:
            assert argv[:2] == ["python", "manage.py"], argv
            from django.core.management import get_commands

            assert argv[2] in get_commands(), argv


def test_every_variable_set_is_read_by_the_project(compose: dict[str, Any]) -> None:
    read = settings_variables()
    for script in (ROOT / "bin").iterdir():
        read |= script_variables(script)
    env_example = [
        line.split("=", 1)[0]
        for line in (ROOT / ".env.example").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    for name in APP_SERVICES:
        environment = compose["services"][name].get("environment", {})
        for variable in [*environment, *env_example]:
            if variable.startswith("AWS_") or variable.startswith("POSTGRES_"):
                continue  # read by boto3's credential chain / by compose for the postgres service
            assert variable in read, f"{name} sets {variable}, which nothing reads"


def test_settings_read_database_and_redis_from_the_stack(compose: dict[str, Any]) -> None:
    assert {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "ALLOWED_HOSTS"} <= settings_variables()
    for name in APP_SERVICES:
        service = compose["services"][name]
        assert service["env_file"] == ".env"


def test_dockerfile_runs_as_a_non_root_user_with_collected_static_files() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^USER wallboard$", dockerfile, re.M)
    assert "collectstatic" in dockerfile
    for copied in re.findall(r"^COPY (\S+)", dockerfile, re.M):
        assert (ROOT / copied).exists(), copied
