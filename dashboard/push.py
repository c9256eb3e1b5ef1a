"""What the server pushes to open wallboards, and the one way to publish it.

Every push is one channel-layer message to a group, carrying text serialised
once by whoever made it; sockets forward that text unchanged
(docs/messages.md). A poll's update goes to its source's group,
wallboard-level messages to the wallboard's group, a revocation to the display
token's group. Each web process follows each group once (dashboard/fanout.py).

`publish_*` are for synchronous callers (Celery workers, admin views, signals);
`apublish_*` for code on an event loop (the embedded poller).
"""

import hashlib
from collections.abc import Iterable
from typing import Any

import msgspec
from asgiref.sync import async_to_sync
from channels.layers import BaseChannelLayer, get_channel_layer
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from connectmetrics.models import QueueFilter
from connectmetrics.sources.key import SourceKey
from connectmetrics.wire.message_builder import iso
from connectmetrics.wire.socket_messages import (
    Heartbeat,
    PanelSettings,
    Revoked,
    RotationEntry,
    ScreenSettings,
    WallboardMessage,
    encode,
    position_of,
)
from dashboard.lib import clock
from dashboard.models import Panel, Wallboard
from dashboard.screen_access import REVOKED

# Channel-layer message types; each is handled by the consumer method of that name.
SNAPSHOT_UPDATE = "snapshot.update"
ALERTS_LIST = "alerts.list"
WALLBOARD_MESSAGE = "wallboard.message"
WALLBOARD_DELETED = "wallboard.deleted"
DISPLAY_TOKEN_REVOKED = "display_token.revoked"
WALLBOARD_ACCESS_CHANGED = "wallboard.access_changed"
SESSION_ENDED = "session.ended"
# Not published: each process's fan-out makes it every HEARTBEAT_SECONDS.
HEARTBEAT = "heartbeat"


# Every screen opened by a signed-in user (not with a display token).
SIGNED_IN_GROUP = "signed-in-screens"


def source_group(source: SourceKey) -> str:
    """The group of a source's screens: "queue-filter.7", "agent-source.4"."""
    return f"{source.kind.replace('_', '-')}.{source.id}"


def queue_filter_group(queue_filter_id: int) -> str:
    return source_group(QueueFilter.source_key_of(queue_filter_id))


def wallboard_group(wallboard_id: int) -> str:
    return f"wallboard.{wallboard_id}"


def display_token_group(display_token_id: int) -> str:
    return f"display-token.{display_token_id}"


def _now() -> str:
    return iso(clock.moment()) or ""


def screen_settings(wallboard: Wallboard, rotation_owner: Wallboard) -> ScreenSettings:
    """How a screen shows a wallboard: what its page starts with (dashboard/views.py)
    and what every "wallboard" message repeats.

    `rotation_owner` is the wallboard whose rotation a TV follows when it shows
    this one with that wallboard's display token (dashboard/screen_access.py).
    """
    return ScreenSettings(
        slug=wallboard.slug,
        title=wallboard.title,
        panels=[panel_settings(panel) for panel in wallboard.panels.all()],
        theme=wallboard.theme,
        ticker=wallboard.ticker,
        sound_on_critical=wallboard.sound_on_critical,
        rotation=[RotationEntry(w.slug, w.title) for w in rotation_owner.rotation.all()],
        rotation_seconds=rotation_owner.rotation_seconds,
    )


def panel_settings(panel: Panel) -> PanelSettings:
    return PanelSettings(
        id=panel.pk,
        title=panel.title,
        layout=panel.layout,
        columns=list(panel.columns),
        source=str(panel.source_key),
        queue_filter=panel.queue_filter_id,
    )


def sources_of(settings: ScreenSettings) -> tuple[SourceKey, ...]:
    """The sources a screen's panels show, each once, in the panels' order."""
    return tuple(dict.fromkeys(SourceKey.parse(panel.source) for panel in settings.panels))


def wallboard_message(wallboard: Wallboard, rotation_owner: Wallboard | None = None) -> str:
    """The "wallboard" message: the screen settings (its panels among them) and the build."""
    return wallboard_text(screen_settings(wallboard, rotation_owner or wallboard))


def wallboard_text(shown: ScreenSettings) -> str:
    return encode(
        WallboardMessage(
            **msgspec.structs.asdict(shown),
            build=settings.BUILD_ID,
            published_at=_now(),
            clock_speed=clock.speed(),
        )
    )


def revoked_message() -> str:
    return encode(Revoked(reason=REVOKED, published_at=_now()))


def heartbeat_message() -> str:
    return encode(Heartbeat(published_at=_now()))


def _layer() -> BaseChannelLayer:
    layer = get_channel_layer()
    if layer is None:
        raise ImproperlyConfigured("CHANNEL_LAYERS has no 'default' layer")
    return layer


async def _send(group: str, message_type: str, text: str, **fields: Any) -> None:
    envelope = {"type": message_type, "group": group, "text": text, **fields}
    await _layer().group_send(group, envelope)


async def apublish_source_update(source: SourceKey, text: str) -> None:
    """Send a poll's update text to every screen of that source, with its seq and
    base read once here, for each socket to check it follows what it has."""
    position = position_of(text)
    await _send(
        source_group(source),
        SNAPSHOT_UPDATE,
        text,
        source=str(source),
        seq=position.seq,
        base=position.base,
    )


async def apublish_update(queue_filter_id: int, text: str) -> None:
    """A queue filter's update, to its screens."""
    await apublish_source_update(QueueFilter.source_key_of(queue_filter_id), text)


def publish_update(queue_filter_id: int, text: str) -> None:
    async_to_sync(apublish_update)(queue_filter_id, text)


async def apublish_alerts(queue_filter_id: int, text: str) -> None:
    """Send a queue filter's "alerts" text (its open alerts) to every screen of it."""
    source = QueueFilter.source_key_of(queue_filter_id)
    await _send(source_group(source), ALERTS_LIST, text, source=str(source))


class ChannelLayerPublisher:
    """The screen publisher the poller uses (connectmetrics/poller/screens.py), and the alerts
    app's (connectmetrics/alerts/screen_port.py)."""

    def publish(self, source: SourceKey, text: str) -> None:
        async_to_sync(apublish_source_update)(source, text)

    async def apublish(self, source: SourceKey, text: str) -> None:
        await apublish_source_update(source, text)

    def publish_alerts(self, queue_filter_id: int, text: str) -> None:
        async_to_sync(apublish_alerts)(queue_filter_id, text)


async def apublish_to_wallboard(wallboard_id: int, text: str) -> None:
    """Send a wallboard-level message (e.g. "wallboard") to every screen of that wallboard."""
    await _send(wallboard_group(wallboard_id), WALLBOARD_MESSAGE, text, wallboard=wallboard_id)


def publish_to_wallboard(wallboard_id: int, text: str) -> None:
    async_to_sync(apublish_to_wallboard)(wallboard_id, text)


async def apublish_wallboard_deleted(wallboard_id: int) -> None:
    """Close every socket showing that wallboard (4004)."""
    await _send(wallboard_group(wallboard_id), WALLBOARD_DELETED, "", wallboard=wallboard_id)


def publish_wallboard_deleted(wallboard_id: int) -> None:
    async_to_sync(apublish_wallboard_deleted)(wallboard_id)


async def apublish_revocation(display_token_id: int) -> None:
    """Close every socket opened with that display token ("revoked", then 4003)."""
    await _send(display_token_group(display_token_id), DISPLAY_TOKEN_REVOKED, revoked_message())


def publish_revocation(display_token_id: int) -> None:
    async_to_sync(apublish_revocation)(display_token_id)


def session_digest(session_key: str) -> str:
    """A browser session as messages name it: never the key itself, which signs a user in."""
    return hashlib.sha256(session_key.encode()).hexdigest()


async def apublish_access_changed(wallboard_ids: Iterable[int], user_id: int | None = None) -> None:
    """Make every signed-in screen of these wallboards (only `user_id`'s, if given)
    check that its user may still view it; the ones that may not are closed."""
    for wallboard_id in wallboard_ids:
        await _send(wallboard_group(wallboard_id), WALLBOARD_ACCESS_CHANGED, "", user=user_id)


def publish_access_changed(wallboard_ids: Iterable[int], user_id: int | None = None) -> None:
    async_to_sync(apublish_access_changed)(list(wallboard_ids), user_id)


async def apublish_session_ended(session_key: str) -> None:
    """Make the screens opened in that browser session connect again: the
    handshake then sees who, if anyone, the browser is signed in as now."""
    await _send(SIGNED_IN_GROUP, SESSION_ENDED, "", session=session_digest(session_key))


def publish_session_ended(session_key: str) -> None:
    async_to_sync(apublish_session_ended)(session_key)
