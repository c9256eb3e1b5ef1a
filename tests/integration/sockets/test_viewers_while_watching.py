"""Who may view, while they watch: a supervisor taken off a wallboard, out of a viewer
group, made inactive or signed out loses their open screens at once; a change that
leaves access in place leaves them open."""

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import Group, User

from connectmetrics.models import QueueFilter
from dashboard.models import DisplayToken, Wallboard
from dashboard.push import apublish_update
from tests.socket_support import (
    close_code,
    make_user,
    open_socket,
    opened,
    session_cookie,
    signed_in,
    tv_path,
    update,
)

pytestmark = pytest.mark.django_db(transaction=True)


async def still_open(*screens: WebsocketCommunicator, queue_filter: QueueFilter, seq: int) -> None:
    """Each screen still gets its wallboard's updates."""
    text = update(queue_filter, seq)
    await apublish_update(queue_filter.pk, text)
    for screen in screens:
        assert await screen.receive_from(timeout=3) == text


async def viewer_screen(wallboard: Wallboard, user: User) -> WebsocketCommunicator:
    cookie = await database_sync_to_async(session_cookie)(user)
    return await opened(f"/ws/wallboards/{wallboard.slug}/", cookie=cookie)


async def test_taking_a_viewer_off_a_wallboard_closes_their_screen_and_no_other(
    wallboard: Wallboard, tv_token: tuple[DisplayToken, str], queue_filter: QueueFilter
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
    await still_open(staying_screen, tv, queue_filter=queue_filter, seq=1)
    # The same from the user's side of the relation.
    await database_sync_to_async(staying.wallboards.remove)(wallboard)
    assert await close_code(staying_screen) == 4003
    await still_open(tv, queue_filter=queue_filter, seq=2)
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
    wallboard: Wallboard, queue_filter: QueueFilter
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
    await still_open(screen, queue_filter=queue_filter, seq=1)
    await screen.disconnect()


async def test_signing_out_sends_that_sessions_screens_back_to_the_sign_in(
    wallboard: Wallboard, queue_filter: QueueFilter
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
    await still_open(laptop_screen, queue_filter=queue_filter, seq=1)
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
