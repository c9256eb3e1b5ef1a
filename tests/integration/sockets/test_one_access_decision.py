"""One screen-access decision (dashboard/screen_access.py) for the TV page and its socket:
the same answer and the same words for every visitor, and a revoked or mistyped link
locks no working TV out."""

import html
import re
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from dashboard.lib import guard
from dashboard.lib.tokens import hash_token
from dashboard.models import DisplayToken, Wallboard
from dashboard.screen_access import NO_ACCESS, NOT_IN_ROTATION, NOT_VALID, REVOKED
from tests.socket_support import make_user, open_socket, session_cookie, tv_path

pytestmark = pytest.mark.django_db(transaction=True)


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


def tv_page(raw: str) -> str:
    return f"/wallboards/sales/tv/?token={raw}"


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
