"""Display tokens in use: last seen kept current, screens whose token went away closed.

A revocation closes its screens at once through the channel layer
(dashboard/signals.py). This is the safety net for a revocation published
while a web process could not hear it (Redis restarting): once a minute each
process marks the tokens of its open screens as seen and closes the screens
whose token is revoked or deleted. Two queries per process, however many
screens are open.
"""

import asyncio
import logging
import weakref
from collections.abc import Iterable
from datetime import timedelta
from typing import Protocol

from channels.db import database_sync_to_async
from django.utils import timezone

from dashboard.models import DisplayToken

logger = logging.getLogger(__name__)

SEEN_EVERY = timedelta(minutes=1)


class TokenScreen(Protocol):
    def display_token_gone(self) -> None: ...


def note_seen(token: DisplayToken) -> None:
    """Mark a token seen now, unless it was seen within the last minute."""
    now = timezone.now()
    if token.last_seen_at is None or now - token.last_seen_at >= SEEN_EVERY:
        DisplayToken.objects.filter(pk=token.pk).update(last_seen_at=now)


def mark_seen(token_ids: Iterable[int]) -> set[int]:
    """Mark these tokens seen now; the ones still valid (not revoked, not deleted)."""
    active = DisplayToken.objects.filter(pk__in=list(token_ids), revoked_at__isnull=True)
    active.update(last_seen_at=timezone.now())
    return set(active.values_list("pk", flat=True))


class Sightings:
    """The open screens of this process by display token (one per event loop)."""

    def __init__(self) -> None:
        self._screens: dict[int, set[TokenScreen]] = {}
        self._task: asyncio.Task[None] | None = None

    def add(self, token_id: int, screen: TokenScreen) -> None:
        self._screens.setdefault(token_id, set()).add(screen)
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(
                self._watch(), name="display token sightings"
            )

    def remove(self, token_id: int, screen: TokenScreen) -> None:
        screens = self._screens.get(token_id)
        if screens is not None:
            screens.discard(screen)
            if not screens:
                del self._screens[token_id]

    async def check(self) -> None:
        if not self._screens:
            return
        active = await database_sync_to_async(mark_seen)(list(self._screens))
        for token_id in set(self._screens) - active:
            for screen in tuple(self._screens.get(token_id, ())):
                screen.display_token_gone()

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(SEEN_EVERY.total_seconds())
            try:
                await self.check()
            except Exception:
                logger.exception("Cannot check the display tokens of open screens")


_sightings: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Sightings]"
_sightings = weakref.WeakKeyDictionary()


def sightings() -> Sightings:
    loop = asyncio.get_running_loop()
    found = _sightings.get(loop)
    if found is None:
        found = _sightings[loop] = Sightings()
    return found
