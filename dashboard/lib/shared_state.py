"""Where the state every process shares lives: one backend, chosen once from settings.

Like `CHANNEL_LAYERS`, `settings.SHARED_STATE` names the backend and its config:

    {"BACKEND": "dashboard.lib.shared_state.LocalSharedState"}        embedded mode
    {"BACKEND": "dashboard.lib.shared_state.RedisSharedState"}        on settings.REDIS_URL

Each kind of shared state (the snapshot store, poll locks, slot claims, backoff, the
rate governor, the answer store, telemetry, the token guard) is one `SharedPart`,
declared beside its two implementations; calling the part gives this process's
instance from the chosen backend. Each backend makes a part once and keeps it: the
local one because its state lives in the process, the Redis one because a part is a
thin client over the process's connection pool whose scripts need registering once.

Tests swap the backend in one place: any change of settings in a test (Django's
`setting_changed`) makes the next use choose it again from settings.SHARED_STATE, and
`reset()` starts from fresh local state.
"""

import threading
from collections.abc import Callable
from typing import Any, Generic, Protocol, TypeVar, cast

import redis
import redis.asyncio
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.utils.module_loading import import_string

from dashboard.lib.redis_client import async_redis_client, redis_client

T = TypeVar("T")


class RedisConnections:
    """The connections a Redis-backed part uses: the process's pools for `url`
    (default: settings.REDIS_URL, the Redis of the channel layer and Celery too)."""

    def __init__(self, url: str | None = None) -> None:
        self.url = url

    def sync(self) -> "redis.Redis[Any]":
        return redis_client(self.url)

    def for_running_loop(self) -> "redis.asyncio.Redis[Any]":
        return async_redis_client(self.url)


class SharedPart(Generic[T]):
    """One kind of shared state: how to make it in one process, and over Redis."""

    def __init__(
        self, name: str, *, local: Callable[[], T], redis: Callable[[RedisConnections], T]
    ) -> None:
        self.name = name
        self.local = local
        self.redis = redis

    def __call__(self) -> T:
        return backend().part(self)

    def __repr__(self) -> str:
        return f"SharedPart({self.name!r})"


class SharedStateBackend(Protocol):
    def part(self, part: SharedPart[T]) -> T: ...


class LocalSharedState:
    """Everything in this process: embedded mode, and tests that need no Redis."""

    def __init__(self) -> None:
        self._parts: dict[SharedPart[Any], Any] = {}
        self._lock = threading.Lock()

    def part(self, part: SharedPart[T]) -> T:
        with self._lock:
            if part not in self._parts:
                self._parts[part] = part.local()
            return cast(T, self._parts[part])


class RedisSharedState:
    """Everything in Redis, shared by every web and worker process."""

    def __init__(self, url: str | None = None) -> None:
        self.url = url
        self._parts: dict[tuple[SharedPart[Any], str], Any] = {}
        self._lock = threading.Lock()

    def part(self, part: SharedPart[T]) -> T:
        url = self.url or settings.REDIS_URL
        with self._lock:
            if (part, url) not in self._parts:
                self._parts[part, url] = part.redis(RedisConnections(url))
            return cast(T, self._parts[part, url])


_backend: SharedStateBackend | None = None
_backend_lock = threading.Lock()


def backend() -> SharedStateBackend:
    """The backend settings.SHARED_STATE names, made on first use."""
    global _backend
    with _backend_lock:
        if _backend is None:
            _backend = _from_settings()
        return _backend


def _from_settings() -> SharedStateBackend:
    chosen = getattr(settings, "SHARED_STATE", None)
    if not isinstance(chosen, dict) or "BACKEND" not in chosen:
        raise ImproperlyConfigured('SHARED_STATE must be a dict with a "BACKEND" dotted path')
    try:
        made: SharedStateBackend = import_string(chosen["BACKEND"])(**chosen.get("CONFIG", {}))
    except (ImportError, TypeError) as error:
        raise ImproperlyConfigured(f"SHARED_STATE: cannot make its BACKEND: {error}") from error
    return made


def reset() -> None:
    """Forget the backend: the next use chooses it again (local parts start empty)."""
    global _backend
    with _backend_lock:
        _backend = None


def _on_setting_changed(**kwargs: Any) -> None:
    # Parts read settings when they are made (the Redis URL, the quota's rate).
    reset()


setting_changed.connect(_on_setting_changed)
