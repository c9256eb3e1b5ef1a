"""The port through which a poll reaches the open screens.

The Connect side builds each poll's message and hands it to whatever publisher the
wallboards app plugged in at start-up (dashboard/apps.py): the poller never imports
the app above it. `publish` is for a poll's own thread (a Celery worker, embedded
mode's poll threads); `apublish` for code on an event loop.
"""

from typing import Protocol

from django.core.exceptions import ImproperlyConfigured

from connectmetrics.sources.key import SourceKey


class ScreenPublisher(Protocol):
    """Sends a source's update to the screens of every panel that shows it."""

    def publish(self, source: SourceKey, text: str) -> None: ...

    async def apublish(self, source: SourceKey, text: str) -> None: ...


_publisher: ScreenPublisher | None = None


def plug_in(publisher: ScreenPublisher) -> None:
    """Called once by the app that shows the screens, when Django starts."""
    global _publisher
    _publisher = publisher


def publisher() -> ScreenPublisher:
    if _publisher is None:
        raise ImproperlyConfigured("No screen publisher: the wallboards app plugs one in")
    return _publisher
