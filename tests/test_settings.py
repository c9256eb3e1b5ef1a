"""Settings come from the environment and a bad value stops start-up, naming the variable."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def start(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # The suite's own DATABASE_URL (PostgreSQL in `make test-postgres`) is not a default.
    unset = {"DEBUG", "SECRET_KEY", "REDIS_URL", "DATABASE_URL"}
    base = {k: v for k, v in os.environ.items() if k not in unset}
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings;"
            " print(settings.EMBEDDED, settings.DEBUG, settings.DATABASES['default']['ENGINE'])",
        ],
        cwd=ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "dashboard.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_secret_key_is_required_when_debug_is_off() -> None:
    result = start({})
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


@pytest.mark.parametrize(
    ("variable", "value", "words"),
    [
        ("DEBUG", "maybe", "DEBUG must be one of"),
        ("CONNECT_RATE_PER_SECOND", "five", "CONNECT_RATE_PER_SECOND must be a whole number"),
        ("CONNECT_RATE_BURST", "0", "CONNECT_RATE_BURST must be at least 1"),
        ("REDIS_URL", "localhost:6379", "REDIS_URL must start with redis://"),
    ],
)
def test_a_bad_value_names_the_variable(variable: str, value: str, words: str) -> None:
    result = start({"DEBUG": "1", variable: value})
    assert result.returncode != 0
    assert words in result.stderr


def test_defaults_are_embedded_mode_on_sqlite() -> None:
    result = start({"DEBUG": "1"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "True", "django.db.backends.sqlite3"]


def test_redis_url_and_database_url_switch_to_the_full_topology() -> None:
    result = start(
        {
            "SECRET_KEY": "x" * 50,
            "REDIS_URL": "redis://127.0.0.1:6379/0",
            "DATABASE_URL": "postgres://u:p@127.0.0.1:5432/db",
        }
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "False", "django.db.backends.postgresql"]
