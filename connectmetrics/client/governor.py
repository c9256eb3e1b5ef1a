"""The rate governor: keeps every Connect API within the account's quota for it.

Amazon Connect throttles each API per AWS account and Region, shared by every
caller (GetCurrentMetricData 5 requests per second, burst 8; GetCurrentUserData 2;
the table is connectmetrics/client/quotas.py). The governor keeps a token bucket per
account and Region (ConnectInstance.quota_key) and API, each with its API's rate
and burst, so the product never spends more than AWS grants, however many
workers poll, and one API's callers never spend another's quota.

`reserve(key, api)` takes the next token and says how many seconds until it is due:
0 when the bucket has one now, otherwise the bucket goes into debt and the
caller must wait that long before sending. Tokens are handed out in the order
asked, so callers queue up behind each other instead of all retrying at once;
over quota a poll is deferred to its turn, never sent early.

`RedisGovernor` shares the buckets between processes through a Lua script that
reads the clock with Redis TIME, so workers whose clocks disagree still agree
on the bucket. `LocalGovernor` is the same algorithm for embedded mode.

A turn is taken some time before its call is sent (a poll reads the database
first; a deferred poll runs when a busy worker gets to it), so calls reach the
account a little later than their turns, and a late one arrives bunched with
the calls of the turns after it. Two rules keep the account's own bucket from
ever seeing more than its quota, measured in tests/chaos/test_throttling.py:
a turn is spent within TURN_LATENESS_TOKENS / rate seconds of being due or
not at all (the call takes a new turn), and the governor's bucket holds that
many tokens fewer than the account's, so the lateness it allows is absorbed.
"""

import contextvars
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

import redis

from connectmetrics.client.quotas import QUOTAS, quota_of
from dashboard.lib.shared_state import SharedPart

log = logging.getLogger(__name__)


# Tokens of the account's burst the governor keeps back, and so how late (in
# turns: 1 / rate seconds each) a call may go out on the turn it took.
TURN_LATENESS_TOKENS = 1


class Governor(Protocol):
    def reserve(self, key: str, api: str) -> float:
        """Take the next token of this account and Region's quota for `api`; seconds
        until it may be spent (0: now)."""
        ...


def governed_burst(api: str) -> int:
    """The burst the governor hands out: the account's, less the tokens kept back for
    calls that go out late on their turn (at least 1)."""
    return max(1, quota_of(api).burst - TURN_LATENESS_TOKENS)


def _refill(tokens: float, last: float, now: float, rate: float, burst: float) -> float:
    if now <= last:
        return tokens
    return min(burst, tokens + (now - last) * rate)


class LocalGovernor:
    """Token buckets in this process (embedded mode: one process polls)."""

    def __init__(self) -> None:
        self._buckets: dict[tuple[str, str], tuple[float, float]] = {}
        self._lock = threading.Lock()

    def reserve(self, key: str, api: str) -> float:
        rate, burst = quota_of(api).rate, float(governed_burst(api))
        with self._lock:
            now = time.monotonic()
            tokens, last = self._buckets.get((key, api), (burst, now))
            tokens = _refill(tokens, last, now, rate, burst)
            wait = 0.0 if tokens >= 1 else (1 - tokens) / rate
            self._buckets[key, api] = (tokens - 1, now)
            return wait


# KEYS[1] the bucket; ARGV: rate per second, burst. Returns the wait in seconds
# as a string (a Lua number would be cut to an integer on its way out).
_RESERVE = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or burst
local last = tonumber(state[2]) or now
if now > last then
  tokens = math.min(burst, tokens + (now - last) * rate)
end
local wait = 0
if tokens < 1 then
  wait = (1 - tokens) / rate
end
tokens = tokens - 1
redis.call('HSET', KEYS[1], 'tokens', string.format('%.6f', tokens),
           'at', string.format('%.6f', now))
-- Once idle long enough to be full again the bucket is the default: let it go.
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) / rate * 1000) + 1000)
return string.format('%.6f', wait)
"""


class RedisGovernor:
    """Token buckets in Redis, shared by every worker and web process.
    Keys: cm:quota:<account>:<Region>:<API>."""

    prefix = "cm:quota:"

    def __init__(self, client: "redis.Redis[Any]") -> None:
        self._script = client.register_script(_RESERVE)

    def reserve(self, key: str, api: str) -> float:
        args = [quota_of(api).rate, governed_burst(api)]
        return float(self._script(keys=[f"{self.prefix}{key}:{api}"], args=args))


governor: SharedPart[Governor] = SharedPart(
    "rate governor", local=LocalGovernor, redis=lambda r: RedisGovernor(r.sync())
)


def turn_expired(due_at: float, api: str, now: float | None = None) -> bool:
    """Whether a turn of `api` due at `due_at` (epoch seconds) is too late to send a call on."""
    allowed = TURN_LATENESS_TOKENS / quota_of(api).rate
    return (time.time() if now is None else now) - due_at > allowed


@dataclass
class _Allowance:
    """The quota a running poll may spend without asking again."""

    governor: Governor
    key: str
    api: str
    prepaid: int
    due_at: float  # epoch seconds: when the prepaid turn came


_allowance: contextvars.ContextVar[_Allowance | None] = contextvars.ContextVar(
    "quota_allowance", default=None
)


@contextmanager
def prepaid_call(gov: Governor, key: str, api: str, due_at: float | None = None) -> Iterator[None]:
    """Within this block, the first attempt of a call to `api` is already paid for.

    The poll reserved that token and waited its turn, which came at `due_at`
    (epoch seconds; default now); every further attempt (next pages, botocore
    retries), and a first attempt whose turn has expired (`turn_expired`),
    reserves its own in `pace_client`'s hook.
    """
    due = time.time() if due_at is None else due_at
    reset = _allowance.set(_Allowance(gov, key, api, prepaid=1, due_at=due))
    try:
        yield
    finally:
        _allowance.reset(reset)


def pace_client(client: Any, quota_key: str) -> None:
    """Make every attempt of this boto3 client at an API with a quota wait for a token
    of that API (connectmetrics/client/quotas.py).

    The hook runs on before-send, i.e. once per HTTP attempt including botocore's
    retries, which AWS counts against the quota too. It is registered first on
    the most specific event so it runs before anything that answers the request
    (the simulated centre answers on before-send). Calls made outside a poll
    (an admin's "Test connection") are paced against the client's own quota key.
    Registering twice is harmless: the unique id makes it a no-op.
    """

    def wait_for_token(event_name: str = "", **_: Any) -> None:
        api = event_name.rsplit(".", 1)[-1]
        allowance = _allowance.get()
        if allowance is not None and allowance.api == api and allowance.prepaid > 0:
            allowance.prepaid -= 1
            if not turn_expired(allowance.due_at, api):
                return
            # Sent now, the call would arrive bunched with those of later turns.
            log.info(
                "quota turn of %s %s expired %.2f s before its call went out; taking a new one",
                allowance.key,
                api,
                time.time() - allowance.due_at,
            )
        if allowance is not None:
            wait = allowance.governor.reserve(allowance.key, api)
        else:
            wait = governor().reserve(quota_key, api)
        if wait > 0:
            time.sleep(wait)

    for api in QUOTAS:
        client.meta.events.register_first(
            f"before-send.connect.{api}", wait_for_token, unique_id=f"connect-wallboard-quota-{api}"
        )
