"""Small readers for settings that come from the environment.

Each one fails loudly, naming the variable, when a value cannot be used: a
wallboard that starts with a half-understood configuration is worse than one
that refuses to start.
"""

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from dotenv import load_dotenv

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def load_env_file(default: Path) -> None:
    """Add the variables of ENV_FILE (default: `default`, the project's .env) to the
    environment, never over one the environment already has. A missing default file is
    no error; ENV_FILE set to a file that does not exist is; ENV_FILE empty reads none
    (the tests, whatever .env a developer keeps)."""
    raw = os.environ.get("ENV_FILE")
    if raw == "":
        return
    if raw is not None and not Path(raw).is_file():
        raise ImproperlyConfigured(f"ENV_FILE must name a file; {raw!r} is none")
    load_dotenv(Path(raw) if raw is not None else default, override=False, interpolate=False)


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name} must be one of 1/0, true/false, yes/no, on/off; got {raw!r}"
    )


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number; got {raw!r}") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}; got {value}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_url(name: str, schemes: tuple[str, ...]) -> str:
    """An optional URL whose scheme must be one of `schemes`; empty means unset."""
    raw = os.environ.get(name, "").strip()
    if raw and not raw.startswith(tuple(f"{scheme}://" for scheme in schemes)):
        allowed = ", ".join(f"{scheme}://" for scheme in schemes)
        raise ImproperlyConfigured(f"{name} must start with {allowed}; got {raw!r}")
    return raw
