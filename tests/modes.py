"""The two ways the product runs, as a test switches between them: embedded (one process,
no Redis) and the full topology on a Redis. Each sets the mode, the Redis URL and the
shared-state backend together (dashboard/lib/shared_state.py)."""

from typing import Any

LOCAL_STATE = {"BACKEND": "dashboard.lib.shared_state.LocalSharedState"}
REDIS_STATE = {"BACKEND": "dashboard.lib.shared_state.RedisSharedState"}


def use_embedded(settings: Any) -> None:
    """Embedded mode with empty process-local shared state."""
    settings.REDIS_URL = ""
    settings.EMBEDDED = True
    settings.SHARED_STATE = dict(LOCAL_STATE)


def use_redis(settings: Any, redis_url: str) -> None:
    """The full topology's shared state, on the Redis at `redis_url`."""
    settings.REDIS_URL = redis_url
    settings.EMBEDDED = False
    settings.SHARED_STATE = dict(REDIS_STATE)
