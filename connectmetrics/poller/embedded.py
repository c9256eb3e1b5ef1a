"""Embedded mode's poller: the Celery schedule and poll task, inside the web process.

With no REDIS_URL there is no worker and no beat. The ASGI lifespan
(dashboard/lifespan.py) starts an `EmbeddedPoller` on the server's event loop:
every second it claims the due sources of every kind (connectmetrics.poller.schedule,
local claims) and runs `poll_source` for each in a small thread pool, exactly
as a worker would. The poll publishes its update as it does in a worker, except
that the publishing runs on the server's event loop, because the in-memory
channel layer is not thread-safe.
"""

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor

from django.db import close_old_connections

from connectmetrics.poller import screens
from connectmetrics.poller.polling import PollResult, Step, poll_source
from connectmetrics.poller.schedule import DuePoll, claim_due_polls, slot_claims
from connectmetrics.sources.key import SourceKey
from connectmetrics.sources.registry import CHORES, run_chore

log = logging.getLogger(__name__)

TICK_SECONDS = 1.0


def _claim() -> list[DuePoll]:
    close_old_connections()
    try:
        return claim_due_polls(slot_claims())
    finally:
        close_old_connections()


def _chore(path: str) -> None:
    close_old_connections()
    try:
        run_chore(path)
    except Exception:
        log.exception("embedded chore %s failed", path)
    finally:
        close_old_connections()


def _poll(
    loop: asyncio.AbstractEventLoop,
    source: SourceKey,
    resume_token: str | None,
    turn_due_at: float | None,
    interval: int | None,
) -> PollResult:
    def publish_on_loop(source: SourceKey, text: str) -> None:
        apublish = screens.publisher().apublish(source, text)
        asyncio.run_coroutine_threadsafe(apublish, loop).result()

    close_old_connections()
    try:
        return poll_source(
            source,
            publish=publish_on_loop,
            resume_token=resume_token,
            turn_due_at=turn_due_at,
            interval=interval,
        )
    finally:
        close_old_connections()


class EmbeddedPoller:
    def __init__(self, *, tick: float = TICK_SECONDS, threads: int = 2) -> None:
        self.tick = tick
        self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="poller")
        self._loop_task: asyncio.Task[None] | None = None
        self._polls: set[asyncio.Task[None]] = set()
        # When each chore (connectmetrics/sources/registry.py CHORES) runs next.
        self._chores_due: dict[str, float] = {}

    def start(self) -> None:
        self._loop_task = asyncio.get_running_loop().create_task(self._run(), name="poller")
        log.info("embedded poller started")

    async def stop(self) -> None:
        tasks = [t for t in (self._loop_task, *self._polls) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        # Off the loop: a poll thread may be waiting for the loop to publish its update.
        await asyncio.to_thread(self._executor.shutdown, wait=True, cancel_futures=True)
        log.info("embedded poller stopped")

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            started = loop.time()
            try:
                due = await loop.run_in_executor(self._executor, _claim)
            except Exception:
                # The database may be migrating or briefly locked: try next tick.
                log.exception("embedded poller could not read the due sources")
                due = []
            for poll in due:
                task = loop.create_task(self._poll_in_turn(poll.source, poll.interval))
                self._polls.add(task)
                task.add_done_callback(self._polls.discard)
            for path, seconds in CHORES:
                if self._chores_due.get(path, 0.0) <= started:
                    self._chores_due[path] = started + seconds
                    chore = loop.create_task(self._chore(path))
                    self._polls.add(chore)
                    chore.add_done_callback(self._polls.discard)
            await asyncio.sleep(max(0.0, started + self.tick - loop.time()))

    async def _chore(self, path: str) -> None:
        await asyncio.get_running_loop().run_in_executor(self._executor, _chore, path)

    async def _poll_in_turn(self, source: SourceKey, interval: int) -> None:
        """A claimed poll, and its resumptions at its turn of the quota (those are
        past the slot check: `interval` is for the first run only)."""
        loop = asyncio.get_running_loop()
        resume_token: str | None = None
        turn_due_at: float | None = None
        slot_interval: int | None = interval
        while True:
            try:
                result = await loop.run_in_executor(
                    self._executor, _poll, loop, source, resume_token, turn_due_at, slot_interval
                )
            except Exception:
                log.exception("embedded poll of %s failed", source)
                return
            if result.step is not Step.DEFERRED or result.turn_in is None:
                return
            # Like the Celery task: wait for this poll's turn of the quota, then resume it.
            resume_token, turn_due_at = result.resume_token, result.turn_due_at
            slot_interval = None
            await asyncio.sleep(result.turn_in)
