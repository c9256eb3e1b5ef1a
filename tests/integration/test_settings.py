"""Settings come from the environment and a .env file (the environment wins), and a bad value
stops start-up, naming the variable."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


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


KEY = {"SECRET_KEY": "x" * 50}


@pytest.mark.parametrize("debug", ["0", "1"])
def test_secret_key_is_required_even_with_debug_on(debug: str) -> None:
    # A fixed development key would be public: anyone could sign sessions and NextTokens.
    result = start({"DEBUG": debug})
    assert result.returncode != 0
    assert "SECRET_KEY must be set, in the environment or in .env" in result.stderr


def settings_with(env: dict[str, str], *names: str) -> list[str]:
    code = (
        "import django; django.setup(); from django.conf import settings; "
        f"print(*[getattr(settings, n) for n in {list(names)!r}], sep='|')"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={
            **{k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY"}},
            "DJANGO_SETTINGS_MODULE": "dashboard.settings",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().split("|")


def test_a_env_file_is_read_and_the_environment_wins(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(
        "# the demo's\nDEBUG=1\nSECRET_KEY=from-the-file\nTIME_ZONE=Europe/London\n"
    )
    assert settings_with({"ENV_FILE": str(env_file)}, "DEBUG", "SECRET_KEY", "TIME_ZONE") == [
        "True",
        "from-the-file",
        "Europe/London",
    ]
    assert settings_with(
        {"ENV_FILE": str(env_file), "DEBUG": "0", "TIME_ZONE": "UTC"}, "DEBUG", "TIME_ZONE"
    ) == ["False", "UTC"]


def test_an_env_file_that_is_not_there_is_named() -> None:
    result = start({"ENV_FILE": "/nonexistent/.env", **KEY})
    assert result.returncode != 0
    assert "ENV_FILE must name a file; '/nonexistent/.env' is none" in result.stderr


def test_the_tests_read_no_env_file() -> None:
    # pytest-env empties ENV_FILE, so a developer's .env (`make demo` writes one) never
    # reaches the suite or the processes it starts; tests/e2e/test_docs_commands.py checks it
    # in a clone that has a demo .env.
    assert os.environ["ENV_FILE"] == ""


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
    result = start({"DEBUG": "1", variable: value, **KEY})
    assert result.returncode != 0
    assert words in result.stderr


def test_defaults_are_embedded_mode_on_sqlite() -> None:
    result = start({"DEBUG": "1", **KEY})
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
