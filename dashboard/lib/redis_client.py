"""Connections to the Redis at settings.REDIS_URL, shared within a process.

redis-py pools notice a fork and reconnect in the child, so one sync client per
URL is safe in Celery's prefork workers. asyncio connections belong to the
event loop that opened them, so the async client is kept per loop. Its pool
makes a caller wait for a free connection rather than fail: when a restart
brings a thousand screens back at once, their snapshot reads queue up for a
moment instead of closing sockets with "Too many connections".
"""

import asyncio
import threading
import weakref
from typing import Any

import redis
import redis.asyncio
from django.conf import settings

AsyncRedis = redis.asyncio.Redis

_clients: dict[str, "redis.Redis[Any]"] = {}
_async_clients: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, tuple[str, AsyncRedis[Any]]]"
_async_clients = weakref.WeakKeyDictionary()
_lock = threading.Lock()

# Fail fast when Redis is down: a poll or a socket must not hang on it.
_TIMEOUTS: dict[str, Any] = {
    "socket_timeout": 5,
    "socket_connect_timeout": 2,
    "health_check_interval": 15,
}
# Connections of a web process's async pool, and how long a read waits for one.
ASYNC_CONNECTIONS = 100
ASYNC_CONNECTION_WAIT = 5


def redis_client(url: str | None = None) -> "redis.Redis[Any]":
    """The sync client of `url` (default settings.REDIS_URL)."""
    url = url or settings.REDIS_URL
    with _lock:
        client = _clients.get(url)
        if client is None:
            client = redis.Redis.from_url(url, **_TIMEOUTS)
            _clients[url] = client
        return client


def async_redis_client(url: str | None = None) -> "redis.asyncio.Redis[Any]":
    """The asyncio client of `url` (default settings.REDIS_URL) for the running event loop."""
    loop = asyncio.get_running_loop()
    url = url or settings.REDIS_URL
    entry = _async_clients.get(loop)
    if entry is None or entry[0] != url:
        pool: redis.asyncio.BlockingConnectionPool = redis.asyncio.BlockingConnectionPool.from_url(
            url, max_connections=ASYNC_CONNECTIONS, timeout=ASYNC_CONNECTION_WAIT, **_TIMEOUTS
        )
        entry = (url, redis.asyncio.Redis(connection_pool=pool))
        _async_clients[loop] = entry
    return entry[1]
