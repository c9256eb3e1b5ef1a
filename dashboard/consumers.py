"""The wallboard socket, /ws/wallboards/<slug>/ (messages and close codes: docs/messages.md).

A screen gets the "wallboard" message (its panels), then the latest snapshot of
every source its panels show at once, each with that queue filter's open alerts,
then every update of those sources and every change of their open alerts, and a
heartbeat after 15-20 s with nothing else sent. The socket only sends: a frame
from the client closes it.
"""

import asyncio
import logging
from collections.abc import Awaitable, Coroutine
from dataclasses import dataclass, replace
from enum import IntEnum
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from connectmetrics.alerts.on_screens import alerts_text
from connectmetrics.models import QueueFilter
from connectmetrics.poller.readings import readings_store
from connectmetrics.sources.key import SourceKey
from connectmetrics.wire.socket_messages import WallboardMessage, decode, position_of
from dashboard import fanout, push
from dashboard.lib.guard import TOO_MANY_ATTEMPTS_CLOSE_CODE, scope_address
from dashboard.models import Wallboard
from dashboard.screen_access import NO_ACCESS, REVOKED, Outcome, decide
from dashboard.sightings import sightings

logger = logging.getLogger(__name__)


class CloseCode(IntEnum):
    UNSUPPORTED_DATA = 1003  # the client sent a frame: this socket only sends
    TRY_AGAIN_LATER = 1013  # the server cannot reach its database or Redis just now
    NOT_AUTHORISED = 4001  # not logged in, or a display token not valid here
    FORBIDDEN = 4003  # a revoked display token, or a user not allowed to view
    NO_SUCH_WALLBOARD = 4004
    SESSION_ENDED = 4010  # the browser session ended: connect again to be checked afresh
    TOO_MANY_WRONG_TOKENS = TOO_MANY_ATTEMPTS_CLOSE_CODE  # this address is locked out a while


NO_SUCH_WALLBOARD = "There is no wallboard at this address"
SEND_ONLY = "This socket only sends; it accepts no messages"
UNAVAILABLE = "The server cannot reach its data just now; try again"
SESSION_ENDED_REASON = "This browser's session ended; connect again"

# The order an outbox writes what it holds: settings, the snapshot updates
# apply to, the newest update, the open alerts, and a heartbeat only when idle.
KIND_ALERTS = "alerts"
KINDS = ("wallboard", "snapshot", "update", KIND_ALERTS, "heartbeat")


@dataclass(frozen=True)
class Screen:
    """What an admitted socket shows, and on whose authority."""

    wallboard_id: int
    # The sources its panels show, each once.
    sources: tuple[SourceKey, ...]
    # The wallboard whose rotation the screen follows (itself, unless a TV
    # shows it with another wallboard's display token).
    rotation_owner_id: int
    display_token_id: int | None
    wallboard_text: str


@dataclass(frozen=True)
class Refusal:
    code: CloseCode
    reason: str


@dataclass(frozen=True)
class Viewer:
    """The signed-in user a screen shows its wallboard to (screens opened
    with a display token have none)."""

    user_id: int
    # push.session_digest of the session the socket was opened in.
    session: str


# How the socket answers each refusal of the screen-access decision.
REFUSAL_CODES = {
    Outcome.LOCKED_OUT: CloseCode.TOO_MANY_WRONG_TOKENS,
    Outcome.REVOKED: CloseCode.FORBIDDEN,
    Outcome.NOT_VALID: CloseCode.NOT_AUTHORISED,
    Outcome.NOT_SIGNED_IN: CloseCode.NOT_AUTHORISED,
    Outcome.NO_ACCESS: CloseCode.FORBIDDEN,
}


def admit(
    slug: str, raw_token: str, via: str, user: AbstractBaseUser | AnonymousUser, address: str
) -> Screen | Refusal:
    """Whether this socket, from `address`, may show the wallboard at `slug`, and what it shows."""
    wallboard = Wallboard.objects.filter(slug=slug).first()
    if wallboard is None:
        return Refusal(CloseCode.NO_SUCH_WALLBOARD, NO_SUCH_WALLBOARD)
    decision = decide(wallboard, raw_token, via, user, address)
    if decision.owner is None:
        return Refusal(REFUSAL_CODES[decision.outcome], decision.reason)
    shown = push.screen_settings(wallboard, decision.owner)
    return Screen(
        wallboard_id=wallboard.pk,
        sources=push.sources_of(shown),
        rotation_owner_id=decision.owner.pk,
        display_token_id=decision.token.pk if decision.token is not None else None,
        wallboard_text=push.wallboard_text(shown),
    )


def viewer_refusal(user_id: int, wallboard_id: int) -> Refusal | None:
    """Why a signed-in user may no longer view a wallboard they have open, if so."""
    wallboard = Wallboard.objects.filter(pk=wallboard_id).first()
    if wallboard is None:
        return None  # its deletion closes the screen, with its own reason
    user = get_user_model().objects.filter(pk=user_id).first()
    if user is None or not wallboard.can_view(user):
        return Refusal(CloseCode.FORBIDDEN, NO_ACCESS)
    return None


def sources_in(text: str) -> tuple[SourceKey, ...]:
    """The sources a "wallboard" message's panels show."""
    message = decode(text)
    assert isinstance(message, WallboardMessage)
    return push.sources_of(message)


def settings_text(wallboard_id: int, rotation_owner_id: int) -> str | None:
    """A "wallboard" message for a screen following another wallboard's rotation."""
    wallboard = Wallboard.objects.filter(pk=wallboard_id).first()
    owner = Wallboard.objects.filter(pk=rotation_owner_id).first()
    if wallboard is None or owner is None:
        return None
    return push.wallboard_message(wallboard, owner)


async def _open_alerts(source: SourceKey) -> str | None:
    """A queue filter's "alerts" message (None for other kinds of source: alert rules
    are on a queue filter's thresholds), read once for every socket of this process
    that asks while the read runs (a reconnecting room of screens reads it once)."""
    if source.kind != QueueFilter.SOURCE_KIND:
        return None
    return await fanout.hub().shared_read(
        f"alerts:{source.id}",
        lambda: database_sync_to_async(alerts_text)(source.id),
    )


class WallboardConsumer(AsyncWebsocketConsumer):
    # No channel-layer channel per socket (get_channel_layer(None) is None):
    # the process's fan-out holds the only subscription to each group.
    channel_layer_alias = None

    screen: Screen | None = None
    viewer: Viewer | None = None
    outbox: fanout.Outbox | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._tasks: set[asyncio.Task[None]] = set()
        # Sources whose open alerts came through the fan-out since they were last read.
        self._alerts_heard: set[SourceKey] = set()
        self._switching = asyncio.Lock()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self._leave()

    async def connect(self) -> None:
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        try:
            verdict = await database_sync_to_async(admit)(
                self.scope["url_route"]["kwargs"]["slug"],
                query.get("token", [""])[0],
                query.get("via", [""])[0],
                self.scope["user"],
                scope_address(self.scope),
            )
        except Exception:
            logger.exception("Cannot check access to a wallboard socket")
            verdict = Refusal(CloseCode.TRY_AGAIN_LATER, UNAVAILABLE)
        # Refusals too are sent after the handshake: a browser is told the
        # close code only on an accepted socket.
        await self.accept()
        if isinstance(verdict, Refusal):
            await self.close(verdict.code, verdict.reason)
            return
        self.screen = verdict
        if verdict.display_token_id is None:
            session = self.scope.get("session")
            session_key = session.session_key if session is not None else None
            self.viewer = Viewer(
                self.scope["user"].pk, push.session_digest(session_key) if session_key else ""
            )
        self.outbox = fanout.Outbox(self._send_text, self._close, KINDS)
        self.outbox.put("wallboard", verdict.wallboard_text)
        if verdict.display_token_id is not None:
            sightings().add(verdict.display_token_id, self)
        try:
            for group in self._groups():
                await fanout.hub().join(group, self)
            # Read at once, so the first updates wait no longer than one read.
            snapshots = await asyncio.gather(
                *(readings_store().alatest_text(source) for source in verdict.sources)
            )
            for source, snapshot in zip(verdict.sources, snapshots, strict=True):
                self.outbox.put_snapshot(position_of(snapshot).seq, snapshot, str(source))
        except Exception:
            logger.exception("Cannot subscribe a wallboard socket")
            self.outbox.close(CloseCode.TRY_AGAIN_LATER, UNAVAILABLE)
            return
        self.outbox.release()
        # The numbers first; the open alerts (a database read) follow them.
        self._spawn(self._send_open_alerts(verdict.sources))

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.outbox is not None:
            self.outbox.close(CloseCode.UNSUPPORTED_DATA, SEND_ONLY)
        else:
            await self.close(CloseCode.UNSUPPORTED_DATA, SEND_ONLY)

    async def disconnect(self, code: int) -> None:
        self._leave()

    # --- messages from the fan-out: one method per type ----------------------

    def deliver(self, envelope: fanout.Envelope) -> None:
        match envelope["type"]:
            case push.SNAPSHOT_UPDATE:
                self.snapshot_update(envelope)
            case push.ALERTS_LIST:
                self.alerts_list(envelope)
            case push.WALLBOARD_MESSAGE:
                self.wallboard_message(envelope)
            case push.WALLBOARD_DELETED:
                self.wallboard_deleted(envelope)
            case push.DISPLAY_TOKEN_REVOKED:
                self.display_token_revoked(envelope)
            case push.WALLBOARD_ACCESS_CHANGED:
                self.wallboard_access_changed(envelope)
            case push.SESSION_ENDED:
                self.session_ended(envelope)
            case push.HEARTBEAT:
                self.heartbeat(envelope)

    def snapshot_update(self, envelope: fanout.Envelope) -> None:
        screen, outbox = self.screen, self.outbox
        source = SourceKey.parse(envelope["source"])
        if screen is None or outbox is None or source not in screen.sources:
            return
        if not outbox.put_update(envelope["seq"], envelope["base"], envelope["text"], str(source)):
            # It missed an update (too slow to take them all): start it afresh.
            self._spawn(self._send_fresh_snapshot(source))

    def alerts_list(self, envelope: fanout.Envelope) -> None:
        screen, outbox = self.screen, self.outbox
        source = SourceKey.parse(envelope["source"])
        if screen is None or outbox is None or source not in screen.sources:
            return
        self._alerts_heard.add(source)
        outbox.put(KIND_ALERTS, envelope["text"], str(source))

    def wallboard_message(self, envelope: fanout.Envelope) -> None:
        screen, outbox = self.screen, self.outbox
        if screen is None or outbox is None:
            return
        if screen.rotation_owner_id != screen.wallboard_id:
            # Its settings come from two wallboards: build them afresh.
            self._spawn(self._refresh_settings(screen))
            return
        text = envelope["text"]
        outbox.put("wallboard", text)
        sources = sources_in(text)
        if sources != screen.sources:
            self._spawn(self._follow(sources))

    def wallboard_deleted(self, envelope: fanout.Envelope) -> None:
        # A rotating TV whose token's wallboard is gone is closed by its token's deletion.
        screen, outbox = self.screen, self.outbox
        if (
            outbox is not None
            and screen is not None
            and envelope["wallboard"] == screen.wallboard_id
        ):
            outbox.close(CloseCode.NO_SUCH_WALLBOARD, NO_SUCH_WALLBOARD)

    def display_token_revoked(self, envelope: fanout.Envelope) -> None:
        if self.outbox is not None:
            self.outbox.close(CloseCode.FORBIDDEN, REVOKED, last=envelope["text"])

    def wallboard_access_changed(self, envelope: fanout.Envelope) -> None:
        viewer, outbox = self.viewer, self.outbox
        if viewer is None or outbox is None:
            return
        if envelope["user"] in (None, viewer.user_id):
            self._spawn(self._check_access(viewer))

    def session_ended(self, envelope: fanout.Envelope) -> None:
        viewer, outbox = self.viewer, self.outbox
        if viewer is not None and outbox is not None and envelope["session"] == viewer.session:
            outbox.close(CloseCode.SESSION_ENDED, SESSION_ENDED_REASON)

    def heartbeat(self, envelope: fanout.Envelope) -> None:
        if self.outbox is not None and self.outbox.heartbeat_due():
            self.outbox.put("heartbeat", envelope["text"])

    def display_token_gone(self) -> None:
        """The safety net found this screen's token revoked or deleted."""
        if self.outbox is not None:
            self.outbox.close(CloseCode.FORBIDDEN, REVOKED, last=push.revoked_message())

    # --- internals --------------------------------------------------------------

    def _groups(self) -> list[str]:
        assert self.screen is not None
        screen = self.screen
        groups = [push.source_group(source) for source in screen.sources]
        groups.append(push.wallboard_group(screen.wallboard_id))
        if screen.rotation_owner_id != screen.wallboard_id:
            groups.append(push.wallboard_group(screen.rotation_owner_id))
        if screen.display_token_id is not None:
            groups.append(push.display_token_group(screen.display_token_id))
        if self.viewer is not None:
            groups.append(push.SIGNED_IN_GROUP)
        return groups

    def _send_text(self, text: str) -> Awaitable[None]:
        # Straight to the server's send (dashboard/socket_session.py wraps nothing):
        # no coroutine of its own, once per socket per update.
        return self.base_send({"type": "websocket.send", "text": text})

    async def _close(self, code: int, reason: str) -> None:
        await self.close(code, reason)

    async def _send_open_alerts(self, sources: tuple[SourceKey, ...]) -> None:
        """Send the open alerts of `sources`, read now, unless the fan-out has
        brought a newer list of a source meanwhile."""
        self._alerts_heard.difference_update(sources)
        try:
            texts = await asyncio.gather(*(_open_alerts(source) for source in sources))
        except Exception:
            logger.exception("Cannot read a screen's open alerts")
            return
        screen, outbox = self.screen, self.outbox
        if screen is None or outbox is None:
            return
        for source, text in zip(sources, texts, strict=True):
            if text is not None and source in screen.sources and source not in self._alerts_heard:
                outbox.put(KIND_ALERTS, text, str(source))

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _follow(self, sources: tuple[SourceKey, ...]) -> None:
        """The wallboard's panels changed: follow the sources they show now, each
        new one from its snapshot, and stop sending those no panel shows."""
        async with self._switching:
            screen, outbox = self.screen, self.outbox
            if screen is None or outbox is None or screen.sources == sources:
                return
            hub = fanout.hub()
            for source in set(screen.sources) - set(sources):
                hub.leave(push.source_group(source), self)
                outbox.forget(str(source))
            added = [source for source in sources if source not in screen.sources]
            self.screen = replace(screen, sources=sources)
            try:
                for source in added:
                    outbox.await_snapshot(str(source))
                    await hub.join(push.source_group(source), self)
                    snapshot = await readings_store().alatest_text(source)
                    outbox.put_snapshot(position_of(snapshot).seq, snapshot, str(source))
            except Exception:
                logger.exception("Cannot follow a wallboard's new panels")
                outbox.close(CloseCode.TRY_AGAIN_LATER, UNAVAILABLE)
                return
        self._spawn(self._send_open_alerts(tuple(added)))

    async def _send_fresh_snapshot(self, source: SourceKey) -> None:
        """Send the latest snapshot of `source`, for its updates to follow."""
        async with self._switching:
            screen, outbox = self.screen, self.outbox
            if screen is None or outbox is None or source not in screen.sources:
                return
            try:
                snapshot = await fanout.hub().shared_read(
                    push.source_group(source), lambda: readings_store().alatest_text(source)
                )
            except Exception:
                logger.exception("Cannot read a snapshot for a screen that missed an update")
                outbox.close(CloseCode.TRY_AGAIN_LATER, UNAVAILABLE)
                return
            outbox.put_snapshot(position_of(snapshot).seq, snapshot, str(source))

    async def _check_access(self, viewer: Viewer) -> None:
        screen = self.screen
        if screen is None:
            return
        try:
            refusal = await database_sync_to_async(viewer_refusal)(
                viewer.user_id, screen.wallboard_id
            )
        except Exception:
            # Reconnecting checks access again, once the database answers.
            logger.exception("Cannot check a viewer's access to a wallboard")
            refusal = Refusal(CloseCode.TRY_AGAIN_LATER, UNAVAILABLE)
        if refusal is not None and self.outbox is not None:
            self.outbox.close(refusal.code, refusal.reason)

    async def _refresh_settings(self, screen: Screen) -> None:
        try:
            text = await database_sync_to_async(settings_text)(
                screen.wallboard_id, screen.rotation_owner_id
            )
        except Exception:
            logger.exception("Cannot rebuild a rotating screen's settings")
            return
        if self.outbox is None:
            return
        if text is None:
            self.outbox.close(CloseCode.NO_SUCH_WALLBOARD, NO_SUCH_WALLBOARD)
            return
        self.outbox.put("wallboard", text)
        await self._follow(sources_in(text))

    def _leave(self) -> None:
        screen, outbox = self.screen, self.outbox
        if screen is None or outbox is None:
            return
        outbox.discard()
        hub = fanout.hub()
        for group in self._groups():
            hub.leave(group, self)
        if screen.display_token_id is not None:
            sightings().remove(screen.display_token_id, self)
        for task in tuple(self._tasks):
            if task is not asyncio.current_task():
                task.cancel()


class NoSuchSocket(AsyncWebsocketConsumer):
    """Any other WebSocket path: refused at the handshake, without a traceback in the log."""

    channel_layer_alias = None

    async def connect(self) -> None:
        await self.close()
