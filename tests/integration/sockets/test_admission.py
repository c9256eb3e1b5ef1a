"""Who may open a wallboard's socket: a TV with its display token (or one of its
rotation's), a viewer or a viewer group's member; everyone else is refused with a code
that says why, and an address that keeps guessing tokens is locked out."""

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import Group, User

from dashboard.asgi import application
from dashboard.lib import guard
from dashboard.models import DisplayToken, Wallboard
from tests.socket_support import (
    HOST,
    ORIGIN,
    close_code,
    open_socket,
    opened,
    receive,
    session_cookie,
    tv_path,
)

pytestmark = pytest.mark.django_db(transaction=True)


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
