"""Revoking or deleting a display token, or deleting a wallboard, closes the screens it
opened, and no others; an open TV is marked seen."""

import pytest
from channels.db import database_sync_to_async
from django.contrib.auth.models import User

from connectmetrics.models import QueueFilter
from dashboard.models import DisplayToken, Wallboard
from dashboard.push import apublish_update
from dashboard.sightings import sightings
from tests.socket_support import close_code, opened, receive, session_cookie, tv_path, update

pytestmark = pytest.mark.django_db(transaction=True)


async def test_revoking_a_token_closes_the_sockets_opened_with_it_and_no_other(
    wallboard: Wallboard, tv_token: tuple[DisplayToken, str], queue_filter: QueueFilter
) -> None:
    token, raw = tv_token
    _, other_raw = await database_sync_to_async(DisplayToken.issue)(wallboard, "Floor 3 TV")
    revoked_screen = await opened(tv_path(wallboard, raw))
    other_screen = await opened(tv_path(wallboard, other_raw))

    await database_sync_to_async(token.revoke)()

    message = await receive(revoked_screen)
    assert message == {**message, "type": "revoked", "reason": "This screen's link was revoked"}
    assert await close_code(revoked_screen) == 4003
    text = update(queue_filter, 1)
    await apublish_update(queue_filter.pk, text)
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
