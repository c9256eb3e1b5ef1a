"""Faults on demand, and a count of the calls received.

Two ways to control a simulated centre:

- In process: a ``Faults`` object, changed at run time (``faults.throttle = 1.0``);
  it also counts the calls received per operation (``faults.calls``).
- Across processes: a Redis hash per instance holds the faults and another the
  call counts, so a test can throttle a Celery worker it started and count the
  calls that worker made. Each call costs one round trip: HINCRBY of its
  counter, HGETALL of the faults and the call log's append, pipelined.

Both also keep a call log: when each of the last CALL_LOG_SIZE calls arrived
and from which process, so a test can count the calls in any second (the
account's quota is per second) or find the process making a call.

Rates are not random: the n-th call of an operation is hit when
floor(n * rate) > floor((n - 1) * rate), so a rate of 0.5 hits every second
call, 0.25 every fourth, 1 (or True) every call, the same in every run.
"""

import os
import threading
import time
from collections import Counter, deque
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from math import floor
from typing import Any, Protocol

import redis

from connectmetrics.simulator.errors import ApiError

CONTROL_URL_ENV = "CONNECT_SIMULATOR_CONTROL_URL"
_RATES = ("throttle", "internal_error")
_FLAGS = ("access_denied", "not_found")
# Calls kept in the call log; older ones are dropped (an hour of a busy account's quota).
CALL_LOG_SIZE = 20_000


@dataclass(frozen=True)
class LoggedCall:
    """One call as the centre received it: the operation, when (epoch seconds), from which pid."""

    operation: str
    at: float
    pid: int

    def encode(self) -> str:
        return f"{self.operation} {self.at:.6f} {self.pid}"

    @classmethod
    def decode(cls, raw: bytes | str) -> "LoggedCall":
        operation, at, pid = (raw.decode() if isinstance(raw, bytes) else raw).split(" ")
        return cls(operation, float(at), int(pid))


def _arrived(operation: str) -> LoggedCall:
    return LoggedCall(operation, time.time(), os.getpid())


@dataclass
class Faults:
    """What goes wrong, on purpose. Change the attributes at any time; they apply to the next call.

    - ``throttle``: share of calls answered 429 ThrottlingException (0..1; True means every call).
    - ``internal_error``: share of calls answered 500 InternalServiceException (0..1 or True).
    - ``latency``: seconds added to every call.
    - ``access_denied``: every call answered 403 AccessDeniedException.
    - ``not_found``: every call answered 404 ResourceNotFoundException.
    """

    throttle: float = 0.0
    internal_error: float = 0.0
    latency: float = 0.0
    access_denied: bool = False
    not_found: bool = False
    # What the centre received, per operation (only when controlled in process).
    calls: Counter[str] = field(default_factory=Counter, init=False, compare=False)
    log: deque[LoggedCall] = field(
        default_factory=lambda: deque(maxlen=CALL_LOG_SIZE), init=False, compare=False, repr=False
    )
    _lock: threading.Lock = field(
        default_factory=threading.Lock, init=False, compare=False, repr=False
    )

    def __setattr__(self, name: str, value: Any) -> None:
        super().__setattr__(name, _checked(name, value))

    def record_call(self, operation: str) -> tuple[int, "Faults"]:
        """Count one call; its number (per operation, from 1) and the faults now."""
        with self._lock:
            self.calls[operation] += 1
            self.log.append(_arrived(operation))
            return self.calls[operation], self

    def call_counts(self) -> dict[str, int]:
        with self._lock:
            return dict(self.calls)

    def call_log(self) -> list[LoggedCall]:
        """The last CALL_LOG_SIZE calls received, oldest first."""
        with self._lock:
            return list(self.log)

    def reset(self) -> None:
        """No faults and no calls counted or logged."""
        with self._lock:
            for name in (*_RATES, "latency", *_FLAGS):
                setattr(self, name, False if name in _FLAGS else 0.0)
            self.calls.clear()
            self.log.clear()

    def fault_for(self, call_number: int) -> ApiError | None:
        """The error the call numbered ``call_number`` gets, if any."""
        if self.access_denied:
            return ApiError(
                "AccessDeniedException",
                "You do not have sufficient access to perform this action (simulated).",
            )
        if self.not_found:
            return ApiError("ResourceNotFoundException", "Instance not found (simulated fault).")
        if _hits(self.throttle, call_number):
            return ApiError("ThrottlingException", "Rate exceeded (simulated).")
        if _hits(self.internal_error, call_number):
            return ApiError("InternalServiceException", "Internal service error (simulated).")
        return None

    def settings(self) -> dict[str, str]:
        """The faults as strings, as stored in Redis."""
        return {name: str(float(getattr(self, name))) for name in (*_RATES, "latency", *_FLAGS)}

    @classmethod
    def from_settings(cls, raw: Mapping[Any, Any]) -> "Faults":
        """Faults from a Redis hash (bytes or str keys and values); absent fields keep defaults."""
        known = {f.name for f in fields(cls) if f.init}
        values: dict[str, Any] = {}
        for key, value in raw.items():
            name = key.decode() if isinstance(key, bytes) else str(key)
            if name in known:
                text = value.decode() if isinstance(value, bytes) else str(value)
                number = float(text)
                values[name] = bool(number) if name in _FLAGS else number
        return cls(**values)


def _checked(name: str, value: Any) -> Any:
    if name in _RATES:
        rate = 1.0 if value is True else float(value)
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"{name} is a share of calls from 0 to 1 (or True); got {value!r}")
        return rate
    if name == "latency":
        seconds = float(value)
        if seconds < 0:
            raise ValueError(f"latency is seconds added to each call, not {value!r}")
        return seconds
    if name in _FLAGS:
        return bool(value)
    return value


def _hits(rate: float, call_number: int) -> bool:
    return floor(call_number * rate) > floor((call_number - 1) * rate)


class Control(Protocol):
    """Where a centre records its calls and reads its faults."""

    def record_call(self, operation: str) -> tuple[int, Faults]: ...

    def call_counts(self) -> dict[str, int]: ...

    def call_log(self) -> list[LoggedCall]: ...


def faults_key(instance_id: str) -> str:
    return f"connect-simulator:{instance_id}:faults"


def calls_key(instance_id: str) -> str:
    return f"connect-simulator:{instance_id}:calls"


def log_key(instance_id: str) -> str:
    return f"connect-simulator:{instance_id}:log"


_connections: dict[str, redis.Redis] = {}
_connections_lock = threading.Lock()


def _redis(url: str) -> redis.Redis:
    # One client (and connection pool) per URL and process; redis-py resets
    # the pool itself in a forked child.
    with _connections_lock:
        client = _connections.get(url)
        if client is None:
            client = redis.Redis.from_url(url, socket_timeout=2.0, socket_connect_timeout=2.0)
            _connections[url] = client
        return client


class RedisControl:
    """Faults and call counts kept in Redis, shared by every process using the URL."""

    def __init__(self, url: str, instance_id: str) -> None:
        self.url = url
        self.instance_id = instance_id

    def record_call(self, operation: str) -> tuple[int, Faults]:
        try:
            pipe = _redis(self.url).pipeline(transaction=False)
            pipe.hincrby(calls_key(self.instance_id), operation, 1)
            pipe.hgetall(faults_key(self.instance_id))
            pipe.rpush(log_key(self.instance_id), _arrived(operation).encode())
            pipe.ltrim(log_key(self.instance_id), -CALL_LOG_SIZE, -1)
            number, raw, _, _ = pipe.execute()
            return int(number), Faults.from_settings(raw)
        except (redis.RedisError, ValueError) as error:
            # The centre cannot know what it should do: say so, as a 500
            # the caller can see (and botocore retries), rather than carry on.
            raise ApiError(
                "InternalServiceException",
                f"the simulator's control store cannot be used ({error})",
            ) from error

    def call_counts(self) -> dict[str, int]:
        return call_counts(self.url, self.instance_id)

    def call_log(self) -> list[LoggedCall]:
        return call_log(self.url, self.instance_id)


def set_faults(redis_url: str, instance_id: str, **faults: Any) -> None:
    """Make the faults of every centre controlled by this Redis exactly these.

    Keyword arguments are those of ``Faults`` (throttle, internal_error,
    latency, access_denied, not_found); none given means no faults.
    """
    settings: dict[str | bytes, str] = {k: v for k, v in Faults(**faults).settings().items()}
    pipe = _redis(redis_url).pipeline(transaction=True)
    pipe.delete(faults_key(instance_id))
    pipe.hset(faults_key(instance_id), mapping=settings)
    pipe.execute()


def call_counts(redis_url: str, instance_id: str) -> dict[str, int]:
    """Calls received per operation by every centre controlled by this Redis."""
    raw = _redis(redis_url).hgetall(calls_key(instance_id))
    return {
        (key.decode() if isinstance(key, bytes) else str(key)): int(value)
        for key, value in raw.items()
    }


def call_log(redis_url: str, instance_id: str) -> list[LoggedCall]:
    """The last CALL_LOG_SIZE calls received by every centre controlled by this Redis,
    in the order they arrived."""
    return [LoggedCall.decode(raw) for raw in _redis(redis_url).lrange(log_key(instance_id), 0, -1)]


def reset(redis_url: str, instance_id: str) -> None:
    """No faults and no calls counted or logged."""
    _redis(redis_url).delete(faults_key(instance_id), calls_key(instance_id), log_key(instance_id))
