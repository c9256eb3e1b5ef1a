"""The fan-out inside one web process: one channel-layer subscription per group.

The textbook Channels path gives every socket its own channel-layer channel and
sends each update through that socket's own receive loop; at 1,000 sockets
that per-socket hop costs 3-8x a bare `websockets` broadcast
(docs/performance.md). Here the process joins each group once, and a reader
hands each message straight to the sockets of this process that follow the
group. Each socket writes through its `Outbox`.

A slow or stalled client never makes memory grow and never delays the others:
its outbox keeps at most the newest unsent message of each kind (a newer one
replaces it), and only that socket's writer waits for it to drain. An update
carries only what changed since the one before it (`base`), so one must never
replace another unsent: then, or whenever an update does not follow what the
socket was given last, the socket is sent a fresh snapshot instead.
"""

import asyncio
import logging
import types
import weakref
from collections.abc import Awaitable, Callable, Coroutine, Generator
from dataclasses import dataclass
from typing import Any, Protocol

from channels.layers import BaseChannelLayer, get_channel_layer
from django.core.exceptions import ImproperlyConfigured

from dashboard import fanout_metrics, push

logger = logging.getLogger(__name__)

# Joining every group again this often keeps the subscriptions alive through
# a Redis restart (which forgets RedisChannelLayer's group members) and past
# the layers' group expiry.
REJOIN_SECONDS = 5.0
# A socket that wrote nothing for HEARTBEAT_SECONDS is sent a heartbeat. The
# heartbeat clock ticks HEARTBEAT_TICKS times in that span, so the silence before
# one is 15-20 s; a socket that gets updates hears none (no writes for nothing).
HEARTBEAT_SECONDS = 15.0
HEARTBEAT_TICKS = 3
# After the channel layer fails (Redis down), wait this long before reading again.
RETRY_SECONDS = 1.0

Envelope = dict[str, Any]


class Member(Protocol):
    """An open socket as the fan-out sees it."""

    def deliver(self, envelope: Envelope) -> None:
        """Take a message without waiting (the socket's outbox writes it)."""
        ...


class Hub:
    """The process's subscriptions (per event loop) and the sockets that follow each group."""

    def __init__(self, layer: BaseChannelLayer) -> None:
        self.layer = layer
        self._members: dict[str, set[Member]] = {}
        self._joined: set[str] = set()
        self._lock = asyncio.Lock()
        self._channel: str | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._reads: dict[str, asyncio.Future[str]] = {}

    @property
    def subscriptions(self) -> frozenset[str]:
        """The groups this process has joined on the channel layer."""
        return frozenset(self._joined)

    def members(self, group: str) -> int:
        return len(self._members.get(group, ()))

    def following(self, prefix: str) -> int:
        """How many sockets follow at least one group whose name starts with `prefix`."""
        return len(
            {
                member
                for group, members in self._members.items()
                if group.startswith(prefix)
                for member in members
            }
        )

    async def join(self, group: str, member: Member) -> None:
        """Follow `group`; the first member of a group joins it on the channel layer."""
        self._members.setdefault(group, set()).add(member)
        if group in self._joined:
            return
        try:
            async with self._lock:
                if group not in self._joined:
                    await self.layer.group_add(group, await self._open())
                    self._joined.add(group)
        except BaseException:
            self.leave(group, member)
            raise

    def leave(self, group: str, member: Member) -> None:
        """Stop following; the group is left on the layer at the next rejoin, when unused."""
        members = self._members.get(group)
        if members is not None:
            members.discard(member)
            if not members:
                del self._members[group]

    async def shared_read(self, key: str, read: Callable[[], Awaitable[str]]) -> str:
        """`read()`, done once for every socket of this process that asks for `key`
        while it runs: a thousand screens that missed the same update read its
        queue filter's snapshot once."""
        running = self._reads.get(key)
        if running is None:
            running = self._reads[key] = asyncio.ensure_future(read())
            running.add_done_callback(lambda _: self._reads.pop(key, None))
        return await asyncio.shield(running)

    async def close(self) -> None:
        """Stop reading and leave every group (at shutdown)."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        if self._channel is not None:
            for group in list(self._joined):
                await self.layer.group_discard(group, self._channel)
        self._joined.clear()
        self._members.clear()

    async def _open(self) -> str:
        """This process's channel on the layer, and the tasks that serve it."""
        if self._channel is None:
            self._channel = await self.layer.new_channel()
            loop = asyncio.get_running_loop()
            self._tasks = [
                loop.create_task(self._read(self._channel), name="fan-out reader"),
                loop.create_task(self._rejoin(self._channel), name="fan-out rejoin"),
                loop.create_task(self._heartbeat(), name="fan-out heartbeat"),
            ]
        return self._channel

    async def _read(self, channel: str) -> None:
        while True:
            try:
                envelope = await self.layer.receive(channel)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("Cannot read from the channel layer; retrying")
                await asyncio.sleep(RETRY_SECONDS)
                continue
            self.dispatch(envelope)

    def dispatch(self, envelope: Envelope) -> None:
        """Hand one message to every socket of this process that follows its group."""
        members = self._members.get(envelope.get("group", ""))
        if not members:
            return
        for member in tuple(members):
            try:
                member.deliver(envelope)
            except Exception:
                logger.exception("A socket could not take a message")
        fanout_metrics.observe_dispatch(envelope)

    async def _rejoin(self, channel: str) -> None:
        while True:
            await asyncio.sleep(REJOIN_SECONDS)
            try:
                async with self._lock:
                    for group in list(self._joined):
                        if group in self._members:
                            await self.layer.group_add(group, channel)
                        else:
                            self._joined.discard(group)
                            await self.layer.group_discard(group, channel)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("Cannot renew the fan-out's groups; retrying")

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT_SECONDS / HEARTBEAT_TICKS)
            envelope = {"type": push.HEARTBEAT, "text": push.heartbeat_message()}
            everyone = {member for members in self._members.values() for member in members}
            for member in everyone:
                try:
                    member.deliver(envelope)
                except Exception:
                    logger.exception("A socket could not take a heartbeat")


_hubs: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Hub]" = weakref.WeakKeyDictionary()


def hub() -> Hub:
    """The hub of the running event loop (one per server process)."""
    loop = asyncio.get_running_loop()
    found = _hubs.get(loop)
    if found is None:
        layer = get_channel_layer()
        if layer is None:
            raise ImproperlyConfigured("CHANNEL_LAYERS has no 'default' layer")
        found = _hubs[loop] = Hub(layer)
    return found


# The kinds of message the outbox keeps in step (put_snapshot, put_update).
KIND_SNAPSHOT = "snapshot"
KIND_UPDATE = "update"

Send = Callable[[str], Awaitable[None]]
Close = Callable[[int, str], Awaitable[None]]


@dataclass
class Stream:
    """Where one source's snapshots and updates stand in an outbox."""

    # The seq of the newest snapshot or update queued; None while the socket
    # waits for a snapshot, when an update that came meanwhile is kept aside.
    seq: int | None = None
    waiting: tuple[int, int, str] | None = None


class Outbox:
    """What one socket has still to send: at most the newest message of each kind.

    Kinds are written in the order given (e.g. settings before a snapshot
    before an update). While held, messages are kept but not written: a socket
    holds its outbox until the snapshots that updates apply to are in it.

    Snapshots and updates go through `put_snapshot` and `put_update`, which keep
    the socket's data in step, each source (by its SourceKey text) apart: an
    update is queued only if it applies to the snapshot or update of its source
    queued before it, and never replaces an unsent one.
    """

    def __init__(self, send: Send, close: Close, kinds: tuple[str, ...]) -> None:
        self._send = send
        self._close = close
        self._rank = {kind: at for at, kind in enumerate(kinds)}
        # (kind, source key) -> text; "" for the kinds that are not a source's.
        self._pending: dict[tuple[str, str], str] = {}
        self._held = True
        self._writing = False
        self._closing: tuple[int, str, str | None] | None = None
        self._closed = False
        self._task: asyncio.Task[None] | None = None
        self._streams: dict[str, Stream] = {}
        # Ticks of the heartbeat clock since the socket last wrote.
        self._quiet_ticks = 0

    @property
    def idle(self) -> bool:
        """Nothing waiting and nothing being written."""
        return not self._pending and not self._writing

    @property
    def closed(self) -> bool:
        return self._closed or self._closing is not None

    def heartbeat_due(self) -> bool:
        """Count a tick of the heartbeat clock: True once the socket has written
        nothing for HEARTBEAT_TICKS of them."""
        if not self.idle:
            self._quiet_ticks = 0
            return False
        self._quiet_ticks += 1
        return self._quiet_ticks >= HEARTBEAT_TICKS

    def pending(self, kind: str, source: str = "") -> str | None:
        return self._pending.get((kind, source))

    def put(self, kind: str, text: str, source: str = "") -> None:
        """Queue `text`, replacing an unsent message of the same kind (and source)."""
        if self.closed:
            return
        self._pending[kind, source] = text
        self._kick()

    def put_snapshot(self, seq: int, text: str, source: str = "") -> None:
        """Queue a snapshot of `source` (replacing an unsent one and any update of it
        queued before it); an update that came while waiting for it follows it if
        it applies to it."""
        if self.closed:
            return
        self._pending.pop((KIND_UPDATE, source), None)
        stream = self._streams.setdefault(source, Stream())
        stream.seq = seq
        waiting, stream.waiting = stream.waiting, None
        if waiting is not None and waiting[1] == seq:
            stream.seq = waiting[0]
            self._pending[KIND_UPDATE, source] = waiting[2]
        self.put(KIND_SNAPSHOT, text, source)

    def put_update(self, seq: int, base: int, text: str, source: str = "") -> bool:
        """Queue an update of `source`; False, queuing nothing, when the socket needs
        a fresh snapshot of it instead: the update does not apply to what the socket
        was given last (it missed one), or an unsent update would have to be
        replaced. The socket then waits for that snapshot (`put_snapshot`)."""
        if self.closed:
            return True
        stream = self._streams.setdefault(source, Stream())
        if stream.seq is None:
            if stream.waiting is None or seq > stream.waiting[0]:
                stream.waiting = (seq, base, text)
            return True
        if seq <= stream.seq:
            return True  # the snapshot queued already has it
        if base != stream.seq or (KIND_UPDATE, source) in self._pending:
            self.await_snapshot(source)
            # It follows the snapshot if that turns out to be the one it applies to.
            stream.waiting = (seq, base, text)
            return False
        stream.seq = seq
        if self._writing or self._held or self._pending:
            self.put(KIND_UPDATE, text, source)
        else:
            # The usual case, once per socket per update: written at once.
            self._start_writing(text)
        return True

    def await_snapshot(self, source: str = "") -> None:
        """Drop the updates of `source` queued: the next snapshot is what they apply to."""
        self._pending.pop((KIND_UPDATE, source), None)
        self._streams[source] = Stream()

    def forget(self, source: str) -> None:
        """The screen no longer shows `source`: drop what is unsent of it."""
        for key in [key for key in self._pending if key[1] == source]:
            del self._pending[key]
        self._streams.pop(source, None)

    def hold(self) -> None:
        self._held = True

    def release(self) -> None:
        self._held = False
        self._kick()

    def close(self, code: int, reason: str = "", last: str | None = None) -> None:
        """Drop what is unsent, write `last` if given, then close with `code`."""
        if self.closed:
            return
        self._pending.clear()
        self._closing = (code, reason, last)
        self._held = False
        self._kick()

    def discard(self) -> None:
        """The socket is gone: write nothing more."""
        self._closed = True
        self._pending.clear()

    def _kick(self) -> None:
        if self._writing or self._held or self._closed:
            return
        if not self._pending and self._closing is None:
            return
        self._start_writing(None)

    def _start_writing(self, first: str | None) -> None:
        self._writing = True
        self._quiet_ticks = 0
        task = run_eagerly(self._write(first))
        if task is not None:
            self._task = task

    async def _write(self, first: str | None) -> None:
        """Write `first` (if given), then what is pending, in the order of the kinds."""
        try:
            if first is not None:
                await self._send(first)
            while self._pending and not self._held and not self._closed:
                upcoming = min(self._pending, key=lambda key: self._rank[key[0]])
                await self._send(self._pending.pop(upcoming))
            if self._closing is not None and not self._closed:
                code, reason, last = self._closing
                self._closed = True
                if last is not None:
                    await self._send(last)
                await self._close(code, reason)
        except Exception as error:
            # The client went away mid-write; the server tells the consumer.
            logger.debug("Write to a closed socket: %r", error)
            self.discard()
        finally:
            self._writing = False
            self._task = None


def run_eagerly(coroutine: Coroutine[Any, Any, None]) -> "asyncio.Task[None] | None":
    """Run `coroutine` now up to its first real wait; finish it in a task only then.

    A socket write almost always completes without waiting (it lands in the
    transport's buffer), so a fan-out to 1,000 sockets costs 1,000 calls, not
    1,000 task switches. This is what Python 3.12's eager tasks do. Returns the
    task when the coroutine had to wait (keep a reference to it), else None.
    """
    try:
        waiting_on = coroutine.send(None)
    except StopIteration:
        return None
    return asyncio.get_running_loop().create_task(_resume(coroutine, waiting_on))


@types.coroutine
def _resume(coroutine: Coroutine[Any, Any, None], waiting_on: Any) -> Generator[Any, Any, None]:
    """Carry on a started coroutine inside a task: what `await` does, from its first wait."""
    while True:
        try:
            sent = yield waiting_on
        except BaseException as error:
            try:
                waiting_on = coroutine.throw(error)
            except StopIteration:
                return
        else:
            try:
                waiting_on = coroutine.send(sent)
            except StopIteration:
                return


# Each socket follows the group of the wallboard it shows.
_WALLBOARD_GROUP_PREFIX = push.wallboard_group(0).removesuffix("0")


async def open_sockets() -> int:
    """Wallboard sockets open in this process (on the server's event loop, where they live)."""
    return hub().following(_WALLBOARD_GROUP_PREFIX)


async def loop_tasks() -> int:
    """Tasks alive on the server's event loop (its sockets, the fan-out, embedded mode's
    loop): a count that keeps rising is a leak (bench/endurance.py watches it)."""
    return len(asyncio.all_tasks())
