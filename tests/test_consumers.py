"""The wallboard socket through the project's whole ASGI stack: Origin check, sessions,
routing and the consumer, on the in-memory channel layer of embedded mode."""

import asyncio
import html
import json
import re
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.layers import channel_layers
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import Group, User
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectmetrics import readings
from connectmetrics.catalogue import SIMULATED_INSTANCE_ID
from connectmetrics.models import AccessMode, ConnectInstance, QueueFilter
from dashboard import fanout
from dashboard.asgi import application
from dashboard.lib import guard
from dashboard.lib.tokens import hash_token
from dashboard.models import DisplayToken, Wallboard
from dashboard.push import apublish_update
from dashboard.screen_access import NO_ACCESS, NOT_IN_ROTATION, NOT_VALID, REVOKED
from dashboard.sightings import sightings
from tests.modes import use_embedded

pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN = (b"origin", b"http://127.0.0.1")
# The Host a browser sends with it: the socket is on the page's own origin.
HOST = (b"host", b"127.0.0.1")
IN_MEMORY = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


@pytest.fixture(autouse=True)
def embedded(settings: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    settings.CHANNEL_LAYERS = IN_MEMORY
    use_embedded(settings)
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


@pytest.fixture(autouse=True)
async def close_the_fanout() -> AsyncIterator[None]:
    yield
    await fanout.hub().close()


@pytest.fixture
def queue_filter(transactional_db: None) -> QueueFilter:
    instance = ConnectInstance.objects.create(
        name="Simulated", instance_id=SIMULATED_INSTANCE_ID, access_mode=AccessMode.SIMULATED
    )
    return QueueFilter.objects.create(name="Sales queues", instance=instance)


@pytest.fixture
def wallboard(queue_filter: QueueFilter) -> Wallboard:
    return Wallboard.objects.create(
        slug="sales", title="Sales floor", queue_filter=queue_filter, ticker="Welcome"
    )


@pytest.fixture
def other_wallboard(queue_filter: QueueFilter) -> Wallboard:
    return Wallboard.objects.create(slug="service", title="Service", queue_filter=queue_filter)


@pytest.fixture
def tv_token(wallboard: Wallboard) -> tuple[DisplayToken, str]:
    return DisplayToken.issue(wallboard, "Floor 2 TV")


def signed_in(user: User) -> tuple[Client, bytes]:
    """A browser session of `user`: its client (to sign out or in with) and its cookie."""
    client = Client()
    client.force_login(user)
    return client, f"sessionid={client.cookies['sessionid'].value}".encode()


def session_cookie(user: User) -> bytes:
    return signed_in(user)[1]


async def open_socket(
    path: str,
    *,
    origin: tuple[bytes, bytes] | None = ORIGIN,
    cookie: bytes = b"",
    address: str = "192.0.2.10",
) -> WebsocketCommunicator:
    headers = [HOST, origin] if origin else [HOST]
    if cookie:
        headers.append((b"cookie", cookie))
    communicator = WebsocketCommunicator(application, path, headers=headers)
    communicator.scope["client"] = (address, 50000)
    await communicator.connect()
    return communicator


async def receive(communicator: WebsocketCommunicator) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(await communicator.receive_from(timeout=3))
    return message


async def close_code(communicator: WebsocketCommunicator) -> int:
    """The code of the close the server sends next (after any messages before it)."""
    while True:
        output = await communicator.receive_output(timeout=3)
        if output["type"] == "websocket.close":
            code = int(output.get("code", 1000))
            # What the server does next: tell the application the socket is closed.
            await communicator.send_input({"type": "websocket.disconnect", "code": code})
            await communicator.wait()
            return code


async def opened(path: str, **kwargs: Any) -> WebsocketCommunicator:
    """A socket that was let in, past its "wallboard" and "snapshot" messages."""
    communicator = await open_socket(path, **kwargs)
    assert (await receive(communicator))["type"] == "wallboard"
    assert (await receive(communicator))["type"] == "snapshot"
    return communicator


def tv_path(wallboard: Wallboard, raw: str) -> str:
    return f"/ws/wallboards/{wallboard.slug}/?token={raw}"


def update(queue_filter: QueueFilter, seq: int) -> str:
    """An update following the one before it (a screen opened before any poll has seq 0)."""
    return json.dumps(
        {"type": "update", "queue_filter": queue_filter.pk, "seq": seq, "base": seq - 1}
    )


# --- what a screen is sent ---------------------------------------------------------


async def test_a_tv_gets_the_wallboard_and_then_a_snapshot_before_any_poll(
    wallboard: Wallboard, tv_token: tuple[DisplayToken, str]
) -> None:
    socket = await open_socket(tv_path(wallboard, tv_token[1]))

    settings_message = await receive(socket)
    snapshot = await receive(socket)

    assert settings_message["type"] == "wallboard"
    assert settings_message["title"] == "Sales floor"
    assert settings_message["ticker"] == "Welcome"
    assert settings_message["queue_filter"] == wallboard.queue_filter_id
    assert snapshot["type"] == "snapshot"
    assert snapshot["queue_filter"] == wallboard.queue_filter_id
    assert snapshot["status"] != "ok" and snapshot["reason"]
    assert snapshot["published_at"].endswith("Z")
    await socket.disconnect()


async def test_a_screen_gets_the_latest_snapshot_kept_by_the_poller(
    wallboard: Wallboard, tv_token: tuple[DisplayToken, str]
) -> None:
    kept = json.dumps({"type": "snapshot", "queue_filter": wallboard.queue_filter_id, "seq": 41})
    readings.readings_store().save(wallboard.queue_filter_id, seq=41, snapshot_text=kept, good=None)
    socket = await open_socket(tv_path(wallboard, tv_token[1]))

    await receive(socket)
    assert await socket.receive_from(timeout=3) == kept
    await socket.disconnect()


async def test_an_update_reaches_every_screen_unchanged(
    wallboard: Wallboard, tv_token: tuple[DisplayToken, str]
) -> None:
    screens = [await opened(tv_path(wallboard, tv_token[1])) for _ in range(3)]
    text = update(wallboard.queue_filter, 1)

    await apublish_update(wallboard.queue_filter_id, text)

    assert [await s.receive_from(timeout=3) for s in screens] == [text] * 3
    for screen in screens:
        await screen.disconnect()


async def test_a_screen_hears_a_heartbeat_when_nothing_else_is_sent(
    wallboard: Wallboard, tv_token: tuple[DisplayToken, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fanout, "HEARTBEAT_SECONDS", 0.05)
    socket = await opened(tv_path(wallboard, tv_token[1]))

    heartbeat = await receive(socket)

    assert heartbeat["type"] == "heartbeat"
    assert heartbeat["published_at"].endswith("Z")
    await socket.disconnect()


async def test_a_screen_that_missed_an_update_is_sent_a_fresh_snapshot_instead(
    wallboard: Wallboard, tv_token: tuple[DisplayToken, str]
) -> None:
    screen = await opened(tv_path(wallboard, tv_token[1]))
    store = readings.readings_store()
    fresh = json.dumps({"type": "snapshot", "queue_filter": wallboard.queue_filter_id, "seq": 3})
    store.save(wallboard.queue_filter_id, seq=3, snapshot_text=fresh, good=None)

    # The screen has seq 0; update 3 applies to 2, which it never got.
    await apublish_update(wallboard.queue_filter_id, update(wallboard.queue_filter, 3))

    assert await screen.receive_from(timeout=3) == fresh
    # Updates after the fresh snapshot apply to it again.
    following = update(wallboard.queue_filter, 4)
    await apublish_update(wallboard.queue_filter_id, following)
    assert await screen.receive_from(timeout=3) == following
    await screen.disconnect()


async def test_saving_the_wallboard_shows_the_new_ticker_on_open_screens_at_once(
    wallboard: Wallboard, tv_token: tuple[DisplayToken, str]
) -> None:
    socket = await opened(tv_path(wallboard, tv_token[1]))
    wallboard.ticker = "Team meeting at 15:00"

    await database_sync_to_async(wallboard.save)()

    message = await receive(socket)
    assert message["type"] == "wallboard"
    assert message["ticker"] == "Team meeting at 15:00"
    await socket.disconnect()


async def test_a_re_pointed_wallboard_moves_its_screens_to_the_new_queue_filter(
    wallboard: Wallboard, tv_token: tuple[DisplayToken, str], queue_filter: QueueFilter
) -> None:
    socket = await opened(tv_path(wallboard, tv_token[1]))
    service = await database_sync_to_async(QueueFilter.objects.create)(
        name="Service queues", instance_id=queue_filter.instance_id
    )
    wallboard.queue_filter = service

    await database_sync_to_async(wallboard.save)()

    assert (await receive(socket))["queue_filter"] == service.pk
    snapshot = await receive(socket)
    assert (snapshot["type"], snapshot["queue_filter"]) == ("snapshot", service.pk)
    await apublish_update(queue_filter.pk, update(queue_filter, 1))
    await apublish_update(service.pk, update(service, 1))
    assert (await receive(socket))["queue_filter"] == service.pk
    await socket.disconnect()


# --- who may open a socket ---------------------------------------------------------


async def test_an_anonymous_socket_is_refused(wallboard: Wallboard) -> None:
    socket = await open_socket("/ws/wallboards/sales/")

    assert await close_code(socket) == 4001


async def test_a_token_of_another_wallboard_is_refused(
    wallboard: Wallboard, other_wallboard: Wallboard
) -> None:
    _, raw = await database_sync_to_async(DisplayToken.issue)(other_wallboard, "Service TV")

    socket = await open_socket(tv_path(wallboard, raw))

    assert await close_code(socket) == 4001


async def test_a_made_up_token_is_refused(wallboard: Wallboard) -> None:
    socket = await open_socket(tv_path(wallboard, "not-a-token"))

    assert await close_code(socket) == 4001


async def test_an_address_that_keeps_guessing_tokens_is_locked_out_and_others_are_not(
    wallboard: Wallboard, tv_token: tuple[DisplayToken, str]
) -> None:
    guesser = "198.51.100.7"
    for n in range(guard.RULE.failures):
        guess = await open_socket(tv_path(wallboard, f"guess-{n}"), address=guesser)
        assert await close_code(guess) == 4001

    # Locked out: even the right token from that address is not looked at now...
    locked = await open_socket(tv_path(wallboard, tv_token[1]), address=guesser)
    assert await close_code(locked) == 4029
    # ...while a TV elsewhere is let in.
    served = await opened(tv_path(wallboard, tv_token[1]))
    await served.disconnect()


async def test_a_revoked_token_is_refused(
    wallboard: Wallboard, tv_token: tuple[DisplayToken, str]
) -> None:
    await database_sync_to_async(tv_token[0].revoke)()

    socket = await open_socket(tv_path(wallboard, tv_token[1]))

    assert await close_code(socket) == 4003


async def test_an_unknown_wallboard_is_refused(wallboard: Wallboard) -> None:
    socket = await open_socket("/ws/wallboards/no-such-board/")

    assert await close_code(socket) == 4004


async def test_a_logged_in_user_without_permission_is_refused(wallboard: Wallboard) -> None:
    user = await database_sync_to_async(User.objects.create_user)("agent", password="pw-12345678")
    cookie = await database_sync_to_async(session_cookie)(user)

    socket = await open_socket("/ws/wallboards/sales/", cookie=cookie)

    assert await close_code(socket) == 4003


async def test_a_viewer_and_a_member_of_a_viewer_group_are_let_in(wallboard: Wallboard) -> None:
    def viewers() -> list[bytes]:
        viewer = User.objects.create_user("supervisor", password="pw-12345678")
        member = User.objects.create_user("team-lead", password="pw-12345678")
        group = Group.objects.create(name="Sales supervisors")
        member.groups.add(group)
        wallboard.viewers.add(viewer)
        wallboard.viewer_groups.add(group)
        return [session_cookie(viewer), session_cookie(member)]

    for cookie in await database_sync_to_async(viewers)():
        socket = await opened("/ws/wallboards/sales/", cookie=cookie)
        await socket.disconnect()


async def test_a_socket_from_another_origin_is_refused(
    wallboard: Wallboard, tv_token: tuple[DisplayToken, str]
) -> None:
    # Another site, another port or scheme of this host, another of its names, none.
    for origin in (
        b"https://evil.example",
        b"http://127.0.0.1:9999",
        b"https://127.0.0.1",
        b"http://localhost",
        b"null",
        None,
    ):
        headers = [HOST, (b"origin", origin)] if origin else [HOST]
        communicator = WebsocketCommunicator(
            application, tv_path(wallboard, tv_token[1]), headers=headers
        )
        connected, _ = await communicator.connect()
        assert not connected, origin
    for origin in (b"http://127.0.0.1", b"http://127.0.0.1:80"):
        socket = await opened(tv_path(wallboard, tv_token[1]), origin=(b"origin", origin))
        await socket.disconnect()


async def test_behind_a_tls_proxy_the_page_is_an_https_origin(
    wallboard: Wallboard, tv_token: tuple[DisplayToken, str], settings: Any
) -> None:
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.CSRF_TRUSTED_ORIGINS = ["https://*.signage.example"]
    proxied = (b"x-forwarded-proto", b"https")
    for origin, admitted in (
        (b"https://127.0.0.1", True),
        (b"http://127.0.0.1", False),
        (b"https://player.signage.example", True),
        (b"https://signage.example.evil", False),
    ):
        headers = [HOST, proxied, (b"origin", origin)]
        communicator = WebsocketCommunicator(
            application, tv_path(wallboard, tv_token[1]), headers=headers
        )
        connected, _ = await communicator.connect()
        assert connected is admitted, origin
        await communicator.disconnect()


async def test_an_unknown_socket_path_is_refused(wallboard: Wallboard) -> None:
    communicator = WebsocketCommunicator(application, "/ws/nothing/", headers=[HOST, ORIGIN])
    connected, _ = await communicator.connect()

    assert not connected


async def test_a_rotating_tv_shows_only_the_wallboards_in_its_tokens_rotation(
    wallboard: Wallboard, other_wallboard: Wallboard, tv_token: tuple[DisplayToken, str]
) -> None:
    raw = tv_token[1]
    await database_sync_to_async(wallboard.rotation.add)(other_wallboard)

    socket = await open_socket(f"/ws/wallboards/service/?token={raw}&via=sales")
    settings_message = await receive(socket)
    assert (settings_message["slug"], settings_message["title"]) == ("service", "Service")
    # The rotation is that of the wallboard whose token the TV holds.
    assert settings_message["rotation"] == [{"slug": "service", "title": "Service"}]
    assert (await receive(socket))["type"] == "snapshot"
    await socket.disconnect()

    await database_sync_to_async(wallboard.rotation.clear)()
    refused = await open_socket(f"/ws/wallboards/service/?token={raw}&via=sales")
    assert await close_code(refused) == 4001


# --- revocation and deletion -------------------------------------------------------


async def test_revoking_a_token_closes_the_sockets_opened_with_it_and_no_other(
    wallboard: Wallboard, tv_token: tuple[DisplayToken, str]
) -> None:
    token, raw = tv_token
    _, other_raw = await database_sync_to_async(DisplayToken.issue)(wallboard, "Floor 3 TV")
    revoked_screen = await opened(tv_path(wallboard, raw))
    other_screen = await opened(tv_path(wallboard, other_raw))

    await database_sync_to_async(token.revoke)()

    message = await receive(revoked_screen)
    assert message == {**message, "type": "revoked", "reason": "This screen's link was revoked"}
    assert await close_code(revoked_screen) == 4003
    text = update(wallboard.queue_filter, 1)
    await apublish_update(wallboard.queue_filter_id, text)
    assert await other_screen.receive_from(timeout=3) == text
    await other_screen.disconnect()


async def test_deleting_a_token_closes_its_sockets(
    wallboard: Wallboard, tv_token: tuple[DisplayToken, str]
) -> None:
    screen = await opened(tv_path(wallboard, tv_token[1]))

    await database_sync_to_async(tv_token[0].delete)()

    assert (await receive(screen))["type"] == "revoked"
    assert await close_code(screen) == 4003


async def test_a_revocation_missed_by_the_process_still_closes_the_screen_within_a_minute(
    wallboard: Wallboard, tv_token: tuple[DisplayToken, str]
) -> None:
    token, raw = tv_token
    screen = await opened(tv_path(wallboard, raw))
    # Revoked without the signal, as if the channel layer had lost the message.
    await DisplayToken.objects.filter(pk=token.pk).aupdate(revoked_at=token.created_at)

    await sightings().check()

    assert (await receive(screen))["type"] == "revoked"
    assert await close_code(screen) == 4003


async def test_an_open_tv_is_marked_seen(
    wallboard: Wallboard, tv_token: tuple[DisplayToken, str]
) -> None:
    token, raw = tv_token
    screen = await opened(tv_path(wallboard, raw))
    first_seen = (await DisplayToken.objects.aget(pk=token.pk)).last_seen_at
    assert first_seen is not None

    await sightings().check()

    assert (await DisplayToken.objects.aget(pk=token.pk)).last_seen_at > first_seen
    await screen.disconnect()


async def test_deleting_a_wallboard_closes_its_screens(
    wallboard: Wallboard, queue_filter: QueueFilter
) -> None:
    user = await database_sync_to_async(User.objects.create_superuser)("boss", password="pw-123456")
    cookie = await database_sync_to_async(session_cookie)(user)
    screen = await opened("/ws/wallboards/sales/", cookie=cookie)

    await database_sync_to_async(wallboard.delete)()

    assert await close_code(screen) == 4004


# --- who may view, while they watch -------------------------------------------------


async def still_open(*screens: WebsocketCommunicator, wallboard: Wallboard, seq: int) -> None:
    """Each screen still gets its wallboard's updates."""
    text = update(wallboard.queue_filter, seq)
    await apublish_update(wallboard.queue_filter_id, text)
    for screen in screens:
        assert await screen.receive_from(timeout=3) == text


async def viewer_screen(wallboard: Wallboard, user: User) -> WebsocketCommunicator:
    cookie = await database_sync_to_async(session_cookie)(user)
    return await opened(f"/ws/wallboards/{wallboard.slug}/", cookie=cookie)


def make_user(name: str, **fields: Any) -> User:
    return User.objects.create_user(name, password="pw-12345678", **fields)


async def test_taking_a_viewer_off_a_wallboard_closes_their_screen_and_no_other(
    wallboard: Wallboard, tv_token: tuple[DisplayToken, str]
) -> None:
    def viewers() -> tuple[User, User]:
        leaving, staying = make_user("leaving"), make_user("staying")
        wallboard.viewers.add(leaving, staying)
        return leaving, staying

    leaving, staying = await database_sync_to_async(viewers)()
    leaving_screen = await viewer_screen(wallboard, leaving)
    staying_screen = await viewer_screen(wallboard, staying)
    tv = await opened(tv_path(wallboard, tv_token[1]))

    await database_sync_to_async(wallboard.viewers.remove)(leaving)

    assert await close_code(leaving_screen) == 4003
    await still_open(staying_screen, tv, wallboard=wallboard, seq=1)
    # The same from the user's side of the relation.
    await database_sync_to_async(staying.wallboards.remove)(wallboard)
    assert await close_code(staying_screen) == 4003
    await still_open(tv, wallboard=wallboard, seq=2)
    await tv.disconnect()


@pytest.mark.parametrize(
    "take_away",
    [
        "user leaves the group",
        "group loses the user",
        "wallboard loses the group",
        "group is deleted",
    ],
)
async def test_losing_a_viewer_group_closes_its_members_screens(
    wallboard: Wallboard, take_away: str
) -> None:
    def member() -> tuple[User, Group]:
        user = make_user("team-lead")
        group = Group.objects.create(name="Sales supervisors")
        user.groups.add(group)
        wallboard.viewer_groups.add(group)
        return user, group

    user, group = await database_sync_to_async(member)()
    screen = await viewer_screen(wallboard, user)

    def lose() -> None:
        match take_away:
            case "user leaves the group":
                user.groups.remove(group)
            case "group loses the user":
                group.user_set.remove(user)
            case "wallboard loses the group":
                wallboard.viewer_groups.remove(group)
            case "group is deleted":
                group.delete()

    await database_sync_to_async(lose)()

    assert await close_code(screen) == 4003


@pytest.mark.parametrize("field", ["is_active", "is_staff"])
async def test_a_user_who_loses_their_standing_loses_their_screens(
    wallboard: Wallboard, field: str
) -> None:
    user = await database_sync_to_async(make_user)("floor-manager", is_staff=True)
    screen = await viewer_screen(wallboard, user)

    setattr(user, field, False)
    await database_sync_to_async(user.save)()

    assert await close_code(screen) == 4003


async def test_a_change_that_leaves_access_in_place_leaves_the_screen_open(
    wallboard: Wallboard,
) -> None:
    def viewer_and_member() -> User:
        user = make_user("supervisor")
        group = Group.objects.create(name="Sales supervisors")
        user.groups.add(group)
        wallboard.viewer_groups.add(group)
        wallboard.viewers.add(user)
        return user

    user = await database_sync_to_async(viewer_and_member)()
    screen = await viewer_screen(wallboard, user)

    # Still a member of a viewer group; signing in again elsewhere changes nothing.
    await database_sync_to_async(wallboard.viewers.remove)(user)
    await database_sync_to_async(user.save)(update_fields=["last_login"])

    assert await screen.receive_nothing(timeout=1), "the screen was sent nothing, not a close"
    await still_open(screen, wallboard=wallboard, seq=1)
    await screen.disconnect()


async def test_signing_out_sends_that_sessions_screens_back_to_the_sign_in(
    wallboard: Wallboard,
) -> None:
    user = await database_sync_to_async(make_user)("supervisor")
    await database_sync_to_async(wallboard.viewers.add)(user)
    desk, desk_cookie = await database_sync_to_async(signed_in)(user)
    _, laptop_cookie = await database_sync_to_async(signed_in)(user)
    desk_screen = await opened("/ws/wallboards/sales/", cookie=desk_cookie)
    laptop_screen = await opened("/ws/wallboards/sales/", cookie=laptop_cookie)

    await database_sync_to_async(desk.logout)()

    # The session's screen is told to connect again; doing so, it is refused.
    assert await close_code(desk_screen) == 4010
    assert await close_code(await open_socket("/ws/wallboards/sales/", cookie=desk_cookie)) == 4001
    await still_open(laptop_screen, wallboard=wallboard, seq=1)
    await laptop_screen.disconnect()


async def test_signing_in_as_someone_else_in_that_browser_moves_its_screens_to_them(
    wallboard: Wallboard,
) -> None:
    def users() -> tuple[User, User]:
        viewer, stranger = make_user("supervisor"), make_user("agent")
        wallboard.viewers.add(viewer)
        return viewer, stranger

    viewer, stranger = await database_sync_to_async(users)()
    browser, cookie = await database_sync_to_async(signed_in)(viewer)
    screen = await opened("/ws/wallboards/sales/", cookie=cookie)

    # Django ends the viewer's session when another user signs in over it.
    await database_sync_to_async(browser.force_login)(stranger)

    assert await close_code(screen) == 4010
    now = f"sessionid={browser.cookies['sessionid'].value}".encode()
    assert await close_code(await open_socket("/ws/wallboards/sales/", cookie=now)) == 4003


# --- frames from the client ----------------------------------------------------------

# Junk text (empty included), binary, and huge frames of both kinds.
frames = st.one_of(
    st.text(max_size=500).map(lambda text: {"text": text}),
    st.binary(max_size=500).map(lambda data: {"bytes": data}),
    st.sampled_from([{"text": "x" * 2_000_000}, {"bytes": b"\0" * 2_000_000}]),
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(frame=frames)
def test_a_frame_from_the_client_closes_that_socket_and_the_others_carry_on(
    wallboard: Wallboard, tv_token: tuple[DisplayToken, str], frame: dict[str, Any]
) -> None:
    async def scenario() -> None:
        channel_layers.backends.clear()
        sender = await opened(tv_path(wallboard, tv_token[1]))
        bystander = await opened(tv_path(wallboard, tv_token[1]))

        await sender.send_input({"type": "websocket.receive", **frame})

        assert await close_code(sender) == 1003
        text = update(wallboard.queue_filter, 1)
        await apublish_update(wallboard.queue_filter_id, text)
        assert await bystander.receive_from(timeout=3) == text
        await bystander.disconnect()
        await fanout.hub().close()

    asyncio.run(scenario())


# --- one screen-access decision for the TV page and the socket ------------------------


async def socket_answer(path: str, address: str, cookie: bytes = b"") -> tuple[str, str]:
    """("admitted", "") for a socket let in, else its close code and reason."""
    communicator = await open_socket(path, address=address, cookie=cookie)
    output = await communicator.receive_output(timeout=3)
    if output["type"] == "websocket.send":
        await communicator.disconnect()
        return ("admitted", "")
    await communicator.send_input({"type": "websocket.disconnect", "code": output["code"]})
    await communicator.wait()
    return (str(output["code"]), output.get("reason", ""))


def page_answer(path: str, address: str, user: User | None = None) -> tuple[str, str]:
    """("admitted", "") for a TV page shown, else its status and the refusal's heading."""
    client = Client(REMOTE_ADDR=address)
    if user is not None:
        client.force_login(user)
    response = client.get(path)
    if response.status_code == 200:
        return ("admitted", "")
    heading = re.search(r'class="refusal-heading">([^<]*)<', response.content.decode())
    return (str(response.status_code), html.unescape(heading.group(1)) if heading else "")


async def test_the_tv_page_and_the_socket_decide_alike(
    wallboard: Wallboard, other_wallboard: Wallboard, tv_token: tuple[DisplayToken, str]
) -> None:
    token, raw = tv_token
    _, revoked_raw = await database_sync_to_async(DisplayToken.issue)(wallboard, "Old TV")
    await DisplayToken.objects.filter(token_hash=hash_token(revoked_raw)).aupdate(
        revoked_at=timezone.now()
    )
    viewer = await database_sync_to_async(make_user)("viewer")
    await database_sync_to_async(wallboard.viewers.add)(viewer)
    stranger = await database_sync_to_async(make_user)("stranger")
    cases = {
        # name: (query, user, the page's answer, the socket's answer, the reason both give)
        "token": (f"token={raw}", None, "admitted", "admitted", ""),
        "revoked": (f"token={revoked_raw}", None, "403", "4003", REVOKED),
        "made up": ("token=made-up", None, "403", "4001", NOT_VALID),
        "not in rotation": (f"token={raw}&via=service", None, "403", "4001", NOT_IN_ROTATION),
        "viewer": ("", viewer, "admitted", "admitted", ""),
        "not a viewer": ("", stranger, "403", "4003", NO_ACCESS),
    }
    for n, (name, (query, user, page, socket, reason)) in enumerate(cases.items()):
        address = f"192.0.2.{100 + n}"
        cookie = await database_sync_to_async(session_cookie)(user) if user else b""
        shown = await database_sync_to_async(page_answer)(
            f"/wallboards/sales/tv/?{query}", address, user
        )
        heard = await socket_answer(f"/ws/wallboards/sales/?{query}", address, cookie)
        assert shown[0] == page and heard[0] == socket, name
        assert shown[1].startswith(reason) and heard[1] == reason, name

    # A token seen within the minute is not written again; one seen before is, by both.
    for visit in ("page", "socket"):
        for ago, written in ((30, False), (120, True)):
            seen = timezone.now() - timedelta(seconds=ago)
            await DisplayToken.objects.filter(pk=token.pk).aupdate(last_seen_at=seen)
            if visit == "page":
                await database_sync_to_async(page_answer)(tv_page(raw), "192.0.2.1")
            else:
                await socket_answer(tv_path(wallboard, raw), "192.0.2.1")
            now_seen = (await DisplayToken.objects.aget(pk=token.pk)).last_seen_at
            assert (now_seen != seen) is written, (visit, ago)


def tv_page(raw: str) -> str:
    return f"/wallboards/sales/tv/?token={raw}"


async def test_a_revoked_link_is_answered_as_revoked_however_often_and_locks_no_one_out(
    wallboard: Wallboard, tv_token: tuple[DisplayToken, str]
) -> None:
    _, revoked_raw = await database_sync_to_async(DisplayToken.issue)(wallboard, "Old TV")
    await DisplayToken.objects.filter(token_hash=hash_token(revoked_raw)).aupdate(
        revoked_at=timezone.now()
    )
    office = "198.51.100.20"
    for _ in range(guard.RULE.failures * 2):
        assert await database_sync_to_async(page_answer)(tv_page(revoked_raw), office) == (
            "403",
            REVOKED,
        )
        assert await socket_answer(tv_path(wallboard, revoked_raw), office) == ("4003", REVOKED)
    # The other TVs behind the same address are let in.
    shown = await database_sync_to_async(page_answer)(tv_page(tv_token[1]), office)
    assert shown[0] == "admitted"
    assert (await socket_answer(tv_path(wallboard, tv_token[1]), office))[0] == "admitted"


async def test_a_mistyped_link_in_an_office_with_working_tvs_locks_none_of_them_out(
    wallboard: Wallboard, other_wallboard: Wallboard, tv_token: tuple[DisplayToken, str]
) -> None:
    office, raw = "198.51.100.21", tv_token[1]
    assert (await socket_answer(tv_path(wallboard, raw), office))[0] == "admitted"
    # A TV with a mistyped link reloading every two seconds for a minute.
    for _ in range(30):
        answer = await database_sync_to_async(page_answer)(tv_page(raw[:-1]), office)
        assert answer == ("403", NOT_VALID)
    assert (await socket_answer(tv_path(wallboard, raw), office))[0] == "admitted"
    # Wrong tokens at one wallboard do not close another wallboard's door, even to a guesser.
    guesser = "203.0.113.50"
    for n in range(guard.RULE.failures):
        await socket_answer(f"/ws/wallboards/service/?token=guess-{n}", guesser)
    assert (await socket_answer("/ws/wallboards/service/?token=x", guesser))[0] == "4029"
    assert (await socket_answer(tv_path(wallboard, raw), guesser))[0] == "admitted"
