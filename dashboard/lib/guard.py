"""Slows down token guessing: an address that keeps presenting wrong tokens is refused a while.

Display tokens and API tokens are 256 random bits, so no one guesses one; what a
guessing script does achieve is load (each guess is a database lookup) and noise.
So wrong tokens are counted per client address and door: a door is one wallboard
(its TV page and socket) or the metrics endpoint. After `Rule.failures` wrong
tokens within `Rule.window` seconds, the address is locked out of that door for
`Rule.lockout` seconds, doubled for each lockout in a row (remembered for
`Rule.memory`), at most `Rule.lockout_cap`. While locked out, a token from that
address is not even looked up at that door: the socket closes with 4029, the TV
page and the endpoint answer 429 with Retry-After. Other doors stay open.

An address that also presents valid tokens (within `Rule.memory`) is an office
whose TVs and tools work: behind its NAT one mistyped or stale link must not lock
the others out, so its bar is `Rule.trusted_failures` wrong tokens per window. A
revoked token is no guess at all (it was a real token; the TV is told its link was
revoked) and is not counted.

Keyed by the client address the server sees: an IPv4 address as it is, an IPv6
address by its /64 (what one subscriber or host gets). Behind a reverse proxy that
is the proxy's address unless the server is told to trust X-Forwarded-For (uvicorn's
--forwarded-allow-ips), which is how a deployment must run it.

The state is in Redis when the product runs on it, so every web process counts the
same guesses; in embedded mode it is in the one process, bounded in size. A Redis
that cannot be reached fails open (logged): every wrong token is still refused, only
not slowed down, and the socket and the endpoint already answer "try again" then.
"""

import ipaddress
import logging
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import redis
from django.http import HttpRequest

from dashboard.lib.shared_state import SharedPart

log = logging.getLogger(__name__)

# The WebSocket close code for "locked out": 4000 + the HTTP status that means it.
TOO_MANY_ATTEMPTS_CLOSE_CODE = 4029


@dataclass(frozen=True)
class Rule:
    failures: int = 10  # wrong tokens allowed at one door within the window...
    window: float = 60.0  # ...of this many seconds, from the first of them
    trusted_failures: int = 100  # the same, for an address that presents valid tokens too
    lockout: float = 60.0  # the first lockout; each one in a row doubles it
    lockout_cap: float = 3600.0
    memory: float = 86400.0  # a lockout counts as "in a row", a valid token trusts, this long

    def lockout_for(self, lockouts: int) -> float:
        """Seconds of the `lockouts`-th lockout in a row (1 for the first)."""
        return min(self.lockout_cap, self.lockout * 2 ** (max(1, lockouts) - 1))


RULE = Rule()
API_DOOR = "api"


def wallboard_door(wallboard_id: int) -> str:
    """The door of one wallboard: its TV page and its socket."""
    return f"wallboard:{wallboard_id}"


def refusal_reason(wait: float) -> str:
    """Words for the refused client: what happened and when to try again."""
    return (
        f"Too many wrong tokens from this address; try again in {max(1, math.ceil(wait))} seconds"
    )


def address_key(address: str | None) -> str:
    """The key an address is counted under: IPv4 as is, IPv6 by its /64."""
    if not address:
        return "unknown"
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        # A unix socket path or a name: count it as it is.
        return address.strip()[:100]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


def scope_address(scope: Mapping[str, Any]) -> str:
    """The client address of an ASGI connection (a socket)."""
    client = scope.get("client")
    return address_key(client[0] if client else None)


def request_address(request: HttpRequest) -> str:
    """The client address of a Django request."""
    return address_key(request.META.get("REMOTE_ADDR"))


def _log_lockout(address: str, door: str, seconds: float) -> None:
    log.warning(
        "token guard: %s locked out of %s for %.0f s after wrong tokens", address, door, seconds
    )


class TokenGuard(Protocol):
    def wait(self, address: str, door: str) -> float:
        """Seconds this address is still locked out of this door (0: its token may be checked)."""
        ...

    def failed(self, address: str, door: str) -> float:
        """Count one wrong token from this address at this door; seconds it is now locked out
        (0: none)."""
        ...

    def succeeded(self, address: str) -> None:
        """This address presented a valid token: it gets the higher bar for a while."""
        ...


@dataclass
class _Tally:
    window_started: float = 0.0
    failures: int = 0
    locked_until: float = 0.0
    lockouts: int = 0
    lockouts_remembered_until: float = 0.0


class LocalTokenGuard:
    """The guard of one process (embedded mode). It tracks at most `max_addresses`
    addresses and doors (and as many trusted addresses), forgetting the least recently
    seen, so a flood of addresses cannot make it grow without bound."""

    def __init__(
        self,
        rule: Rule = RULE,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_addresses: int = 10_000,
    ) -> None:
        self.rule = rule
        self.clock = clock
        self.max_addresses = max_addresses
        self._tallies: OrderedDict[tuple[str, str], _Tally] = OrderedDict()
        self._trusted_until: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def wait(self, address: str, door: str) -> float:
        with self._lock:
            tally = self._tallies.get((address, door))
            return max(0.0, tally.locked_until - self.clock()) if tally else 0.0

    def succeeded(self, address: str) -> None:
        with self._lock:
            self._trusted_until.pop(address, None)
            self._trusted_until[address] = self.clock() + self.rule.memory
            while len(self._trusted_until) > self.max_addresses:
                self._trusted_until.popitem(last=False)

    def failed(self, address: str, door: str) -> float:
        rule = self.rule
        with self._lock:
            now = self.clock()
            tally = self._tally((address, door))
            if tally.locked_until > now:
                return tally.locked_until - now
            if tally.failures == 0 or now - tally.window_started > rule.window:
                tally.window_started, tally.failures = now, 0
            tally.failures += 1
            trusted = self._trusted_until.get(address, 0.0) > now
            if tally.failures < (rule.trusted_failures if trusted else rule.failures):
                return 0.0
            if now > tally.lockouts_remembered_until:
                tally.lockouts = 0
            tally.failures = 0
            tally.lockouts += 1
            tally.lockouts_remembered_until = now + rule.memory
            lockout = rule.lockout_for(tally.lockouts)
            tally.locked_until = now + lockout
        _log_lockout(address, door, lockout)
        return lockout

    @property
    def tracked(self) -> int:
        with self._lock:
            return len(self._tallies)

    def _tally(self, key: tuple[str, str]) -> _Tally:
        tally = self._tallies.pop(key, None) or _Tally()
        self._tallies[key] = tally
        while len(self._tallies) > self.max_addresses:
            self._tallies.popitem(last=False)
        return tally


# KEYS: the failure counter, the lockout, the lockouts in a row (of the address at the
# door), whether the address is trusted.
# ARGV: failures allowed, window ms, first lockout ms, lockout cap ms, memory ms,
# failures allowed when trusted.
# Returns {the lockout in force in ms (0: none), 1 if this failure began it}.
_FAILED = """
local locked = redis.call('PTTL', KEYS[2])
if locked > 0 then
  return {locked, 0}
end
local failures = redis.call('INCR', KEYS[1])
if failures == 1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
local allowed = tonumber(ARGV[1])
if redis.call('EXISTS', KEYS[4]) == 1 then
  allowed = tonumber(ARGV[6])
end
if failures < allowed then
  return {0, 0}
end
redis.call('DEL', KEYS[1])
local lockouts = redis.call('INCR', KEYS[3])
redis.call('PEXPIRE', KEYS[3], ARGV[5])
local ms = math.min(tonumber(ARGV[4]), tonumber(ARGV[3]) * 2 ^ (lockouts - 1))
ms = math.floor(ms)
redis.call('SET', KEYS[2], '1', 'PX', ms)
return {ms, 1}
"""


class RedisTokenGuard:
    """The guard shared by every web process through Redis (the clock is Redis's)."""

    prefix = "cm:guard:"

    def __init__(self, client: "redis.Redis[Any]", rule: Rule = RULE) -> None:
        self.client = client
        self.rule = rule
        self._failed = client.register_script(_FAILED)

    def _keys(self, address: str, door: str) -> list[str]:
        return [
            *(
                f"{self.prefix}{kind}:{door}:{address}"
                for kind in ("failures", "locked", "lockouts")
            ),
            self._trusted_key(address),
        ]

    def _trusted_key(self, address: str) -> str:
        return f"{self.prefix}trusted:{address}"

    def wait(self, address: str, door: str) -> float:
        try:
            remaining = int(self.client.pttl(self._keys(address, door)[1]))
        except redis.RedisError:
            log.warning("token guard cannot reach Redis; not slowing down %s", address)
            return 0.0
        return remaining / 1000 if remaining > 0 else 0.0

    def succeeded(self, address: str) -> None:
        try:
            self.client.set(self._trusted_key(address), "1", px=int(self.rule.memory * 1000))
        except redis.RedisError:
            log.warning("token guard cannot reach Redis; not trusting %s", address)

    def failed(self, address: str, door: str) -> float:
        rule = self.rule
        try:
            ms, began = self._failed(
                keys=self._keys(address, door),
                args=[
                    rule.failures,
                    int(rule.window * 1000),
                    int(rule.lockout * 1000),
                    int(rule.lockout_cap * 1000),
                    int(rule.memory * 1000),
                    rule.trusted_failures,
                ],
            )
        except redis.RedisError:
            log.warning("token guard cannot reach Redis; not counting a wrong token of %s", address)
            return 0.0
        lockout = int(ms) / 1000
        if began:
            _log_lockout(address, door, lockout)
        return lockout


token_guard: SharedPart[TokenGuard] = SharedPart(
    "token guard", local=LocalTokenGuard, redis=lambda r: RedisTokenGuard(r.sync())
)
