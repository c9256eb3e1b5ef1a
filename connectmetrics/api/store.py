"""Where the answer cache keeps its snapshots: Redis, or this process in embedded mode.

A *snapshot* is one fetch's rows (or records) for one canonical request, immutable once
kept and known by a random id (a NextToken names it). A *pointer* says which
snapshot is the newest for a request, with what is needed to choose one
without loading its rows. Redis keys (every one expires by itself):

- ``cm:api:snapshot:<id>``: the snapshot's JSON;
- ``cm:api:latest:<instance pk>:<request key>``: the pointer for that request;
- ``cm:api:polled:<instance pk>``: a hash of the pointers the poller fed,
  the candidates an answer may be derived from (bounded by the queue filters);
- ``cm:api:flight:<instance pk>:<request key>``: the lock of a shared fetch;
- ``cm:api:failed:<instance pk>:<request key>``: how the last shared fetch
  failed, for the callers that waited on it;
- ``cm:api:wanted:<instance pk>:<operation>``: callers asked for the operation
  lately, so the sources polling it keep their polls for them.
"""

import dataclasses
import json
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import redis

from connectmetrics.client.client import MetricRow
from dashboard.lib.shared_state import SharedPart

# Polled pointers older than this are dropped when the hash is next read: they
# belong to a queue filter that was edited or disabled.
PRUNE_AFTER = 600.0


@dataclass(frozen=True)
class Snapshot:
    id: str
    canonical: dict[str, Any]
    metrics: list[str]  # the metrics the rows carry (the asked ones, perhaps the sort metric)
    rows: list[MetricRow]
    data_snapshot_time: datetime | None
    fetched_at: datetime
    # The answer's records as Connect's wire carries them, for the operations whose rows are
    # not metric rows (GetCurrentUserData's UserData, GetMetricDataV2's MetricResults).
    records: list[dict[str, Any]] = dataclasses.field(default_factory=list)

    @staticmethod
    def new_id() -> str:
        return secrets.token_hex(8)

    def to_json(self) -> str:
        return json.dumps(
            {
                "canonical": self.canonical,
                "metrics": self.metrics,
                "rows": [[row.key, row.dimensions, row.values, row.filled] for row in self.rows],
                "data_snapshot_time": _epoch(self.data_snapshot_time),
                "fetched_at": self.fetched_at.timestamp(),
                **({"records": self.records} if self.records else {}),
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, snapshot_id: str, text: str | bytes) -> "Snapshot":
        kept = json.loads(text)
        return cls(
            id=snapshot_id,
            canonical=kept["canonical"],
            metrics=kept["metrics"],
            # Snapshots kept before rows said whether they were filled in have three fields.
            rows=[MetricRow(*row) for row in kept["rows"]],
            data_snapshot_time=_moment(kept["data_snapshot_time"]),
            fetched_at=datetime.fromtimestamp(kept["fetched_at"], UTC),
            records=kept.get("records", []),
        )

    def pointer(self) -> "Pointer":
        return Pointer(self.id, self.fetched_at.timestamp(), self.canonical, self.metrics)


def _epoch(moment: datetime | None) -> float | None:
    return None if moment is None else moment.timestamp()


def _moment(epoch: float | None) -> datetime | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, UTC)


@dataclass(frozen=True)
class Pointer:
    snapshot_id: str
    fetched_at: float  # epoch seconds
    canonical: dict[str, Any]
    metrics: list[str]

    def age(self) -> float:
        return time.time() - self.fetched_at

    def to_json(self) -> str:
        return json.dumps(
            {
                "id": self.snapshot_id,
                "fetched_at": self.fetched_at,
                "canonical": self.canonical,
                "metrics": self.metrics,
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> "Pointer":
        kept = json.loads(text)
        return cls(kept["id"], kept["fetched_at"], kept["canonical"], kept["metrics"])


@dataclass(frozen=True)
class Failure:
    """How a shared fetch failed: an envelope error code, its message, Retry-After."""

    code: str
    message: str
    retry_after: float | None

    def to_json(self) -> str:
        return json.dumps([self.code, self.message, self.retry_after])

    @classmethod
    def from_json(cls, text: str | bytes) -> "Failure":
        code, message, retry_after = json.loads(text)
        return cls(code, message, retry_after)


class AnswerStore(Protocol):
    def pointer(self, instance_pk: int, request_key: str) -> Pointer | None: ...

    def polled(self, instance_pk: int) -> list[Pointer]:
        """The pointers the poller fed for this instance (newest per request)."""
        ...

    def snapshot(self, snapshot_id: str) -> Snapshot | None: ...

    def keep(
        self, instance_pk: int, request_key: str, snapshot: Snapshot, *, ttl: float, polled: bool
    ) -> bool:
        """Keep the snapshot and point at it, unless a newer one is already pointed at."""
        ...

    def pin(self, snapshot: Snapshot, ttl: float) -> None:
        """Keep the snapshot at least `ttl` seconds more (a NextToken walks it)."""
        ...

    def take_flight(self, flight: str, ttl: float) -> str | None:
        """A token when this caller now leads the shared fetch, None when another does."""
        ...

    def land_flight(self, flight: str, token: str) -> None: ...

    def failure(self, flight: str) -> Failure | None: ...

    def record_failure(self, flight: str, failure: Failure, ttl: float) -> None: ...

    def want(self, name: str, ttl: float) -> None:
        """Note that callers ask for `name` (for the next `ttl` seconds)."""
        ...

    def wanted(self, name: str) -> bool: ...


def _ms(seconds: float) -> int:
    return max(1, int(seconds * 1000))


# KEYS: snapshot, pointer, polled hash. ARGV: snapshot JSON, pointer JSON,
# fetched_at, ttl ms, request key, '1' when fed by the poller.
_KEEP_IF_NEWER = """
local current = redis.call('GET', KEYS[2])
if current and tonumber(cjson.decode(current)['fetched_at']) > tonumber(ARGV[3]) then
  return 0
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[4])
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[4])
if ARGV[6] == '1' then
  redis.call('HSET', KEYS[3], ARGV[5], ARGV[2])
  redis.call('PEXPIRE', KEYS[3], math.max(tonumber(ARGV[4]), 600000))
end
return 1
"""

_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""

# Snapshots never change once kept, so a process may keep the ones it read:
# a cached answer then costs one small GET (the pointer), not the rows.
_MEMO_SIZE = 128


class RedisAnswerStore:
    def __init__(self, client: "redis.Redis[Any]") -> None:
        self.client = client
        self._keep = client.register_script(_KEEP_IF_NEWER)
        self._release = client.register_script(_RELEASE)

    @staticmethod
    def _snapshot_key(snapshot_id: str) -> str:
        return f"cm:api:snapshot:{snapshot_id}"

    def pointer(self, instance_pk: int, request_key: str) -> Pointer | None:
        text = self.client.get(f"cm:api:latest:{instance_pk}:{request_key}")
        return Pointer.from_json(text) if text else None

    def polled(self, instance_pk: int) -> list[Pointer]:
        key = f"cm:api:polled:{instance_pk}"
        pointers: list[tuple[bytes, Pointer]] = []
        gone: list[tuple[bytes, Pointer]] = []
        for field, text in self.client.hgetall(key).items():
            pointer = Pointer.from_json(text)
            (gone if pointer.age() > PRUNE_AFTER else pointers).append((field, pointer))
        if gone:
            self.client.hdel(key, *(field for field, _ in gone))
        return [pointer for _, pointer in pointers]

    def snapshot(self, snapshot_id: str) -> Snapshot | None:
        with _memo_lock:
            memo = _memo.get(snapshot_id)
        if memo is not None:
            return memo
        text = self.client.get(self._snapshot_key(snapshot_id))
        if text is None:
            return None
        snapshot = Snapshot.from_json(snapshot_id, text)
        _remember(snapshot)
        return snapshot

    def keep(
        self, instance_pk: int, request_key: str, snapshot: Snapshot, *, ttl: float, polled: bool
    ) -> bool:
        pointer = snapshot.pointer()
        kept = self._keep(
            keys=[
                self._snapshot_key(snapshot.id),
                f"cm:api:latest:{instance_pk}:{request_key}",
                f"cm:api:polled:{instance_pk}",
            ],
            args=[
                snapshot.to_json(),
                pointer.to_json(),
                pointer.fetched_at,
                _ms(ttl),
                request_key,
                "1" if polled else "0",
            ],
        )
        if kept:
            _remember(snapshot)
        return bool(kept)

    def pin(self, snapshot: Snapshot, ttl: float) -> None:
        key = self._snapshot_key(snapshot.id)
        if not self.client.pexpire(key, _ms(ttl), gt=True) and not self.client.exists(key):
            # Expired between the read and now: this process still holds it.
            self.client.set(key, snapshot.to_json(), px=_ms(ttl))

    def take_flight(self, flight: str, ttl: float) -> str | None:
        token = secrets.token_hex(16)
        taken = self.client.set(f"cm:api:flight:{flight}", token, nx=True, px=_ms(ttl))
        return token if taken else None

    def land_flight(self, flight: str, token: str) -> None:
        self._release(keys=[f"cm:api:flight:{flight}"], args=[token])

    def failure(self, flight: str) -> Failure | None:
        text = self.client.get(f"cm:api:failed:{flight}")
        return Failure.from_json(text) if text else None

    def record_failure(self, flight: str, failure: Failure, ttl: float) -> None:
        self.client.set(f"cm:api:failed:{flight}", failure.to_json(), px=_ms(ttl))

    def want(self, name: str, ttl: float) -> None:
        self.client.set(f"cm:api:wanted:{name}", b"1", px=_ms(ttl))

    def wanted(self, name: str) -> bool:
        return bool(self.client.exists(f"cm:api:wanted:{name}"))


_memo: "OrderedDict[str, Snapshot]" = OrderedDict()
_memo_lock = threading.Lock()


def _remember(snapshot: Snapshot) -> None:
    with _memo_lock:
        _memo[snapshot.id] = snapshot
        _memo.move_to_end(snapshot.id)
        while len(_memo) > _MEMO_SIZE:
            _memo.popitem(last=False)


class LocalAnswerStore:
    """The same store in this process (embedded mode: one process serves and polls)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # name -> (value, expires at, monotonic)
        self._items: dict[str, tuple[Any, float]] = {}
        self._polled: dict[int, dict[str, Pointer]] = {}

    def _get(self, name: str) -> Any:
        item = self._items.get(name)
        if item is None or item[1] <= time.monotonic():
            return None
        return item[0]

    def _set(self, name: str, value: Any, ttl: float) -> None:
        now = time.monotonic()
        self._items = {k: v for k, v in self._items.items() if v[1] > now}
        self._items[name] = (value, now + ttl)

    def pointer(self, instance_pk: int, request_key: str) -> Pointer | None:
        with self._lock:
            pointer: Pointer | None = self._get(f"latest:{instance_pk}:{request_key}")
            return pointer

    def polled(self, instance_pk: int) -> list[Pointer]:
        with self._lock:
            kept = self._polled.get(instance_pk, {})
            for request_key in [k for k, p in kept.items() if p.age() > PRUNE_AFTER]:
                del kept[request_key]
            return list(kept.values())

    def snapshot(self, snapshot_id: str) -> Snapshot | None:
        with self._lock:
            snapshot: Snapshot | None = self._get(f"snapshot:{snapshot_id}")
            return snapshot

    def keep(
        self, instance_pk: int, request_key: str, snapshot: Snapshot, *, ttl: float, polled: bool
    ) -> bool:
        pointer = snapshot.pointer()
        with self._lock:
            current: Pointer | None = self._get(f"latest:{instance_pk}:{request_key}")
            if current is not None and current.fetched_at > pointer.fetched_at:
                return False
            self._set(f"snapshot:{snapshot.id}", snapshot, ttl)
            self._set(f"latest:{instance_pk}:{request_key}", pointer, ttl)
            if polled:
                self._polled.setdefault(instance_pk, {})[request_key] = pointer
            return True

    def pin(self, snapshot: Snapshot, ttl: float) -> None:
        with self._lock:
            name = f"snapshot:{snapshot.id}"
            item = self._items.get(name)
            if item is None or item[1] < time.monotonic() + ttl:
                self._set(name, snapshot, ttl)

    def take_flight(self, flight: str, ttl: float) -> str | None:
        with self._lock:
            if self._get(f"flight:{flight}") is not None:
                return None
            token = secrets.token_hex(16)
            self._set(f"flight:{flight}", token, ttl)
            return token

    def land_flight(self, flight: str, token: str) -> None:
        with self._lock:
            if self._get(f"flight:{flight}") == token:
                del self._items[f"flight:{flight}"]

    def failure(self, flight: str) -> Failure | None:
        with self._lock:
            failure: Failure | None = self._get(f"failed:{flight}")
            return failure

    def record_failure(self, flight: str, failure: Failure, ttl: float) -> None:
        with self._lock:
            self._set(f"failed:{flight}", failure, ttl)

    def want(self, name: str, ttl: float) -> None:
        with self._lock:
            self._set(f"wanted:{name}", True, ttl)

    def wanted(self, name: str) -> bool:
        with self._lock:
            return self._get(f"wanted:{name}") is not None


answer_store: SharedPart[AnswerStore] = SharedPart(
    "answer store", local=LocalAnswerStore, redis=lambda r: RedisAnswerStore(r.sync())
)
