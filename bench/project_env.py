"""The environment a benchmark runs the project in: production settings
(DEBUG off) from one of bench/'s settings modules, on its own SQLite file."""

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def bench_project_env(settings_module: str, database: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        PYTHONPATH=f"{ROOT}{os.pathsep}{ROOT / 'bench'}",
        DJANGO_SETTINGS_MODULE=settings_module,
        DEBUG="0",
        SECRET_KEY="bench-only-secret-key",
        DATABASE_URL=f"sqlite:///{database}",
        ALLOWED_HOSTS="127.0.0.1",
        LOG_LEVEL="WARNING",
    )
    return env
