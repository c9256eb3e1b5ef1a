"""The port through which open alerts reach the screens.

The alerts app builds the list of a queue filter's open alerts (on_screens.py) and hands
its text to whatever publisher the wallboards app plugged in at start-up
(dashboard/apps.py), as connectmetrics/poller/screens.py does for polls: the Connect side never
imports the app above it. Called from a poll's own thread or a request's, never on an
event loop.
"""

from typing import Protocol

from django.core.exceptions import ImproperlyConfigured


class AlertPublisher(Protocol):
    def publish_alerts(self, queue_filter_id: int, text: str) -> None: ...


_publisher: AlertPublisher | None = None


def plug_in(publisher: AlertPublisher) -> None:
    """Called once by the app that shows the screens, when Django starts."""
    global _publisher
    _publisher = publisher


def publisher() -> AlertPublisher:
    if _publisher is None:
        raise ImproperlyConfigured("No alert publisher: the wallboards app plugs one in")
    return _publisher
