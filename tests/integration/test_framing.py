"""Signage players may frame a wallboard's TV view when the wallboard names them; nothing
else can be framed (the supervisor view, the sign-in page), and a bad origin is refused with
the rule, never written into a header."""

import pytest
from django.contrib.auth.models import User
from django.test import Client

from connectmetrics.connectapi.catalogue import SIMULATED_INSTANCE_ID
from connectmetrics.models import AccessMode, ConnectInstance, QueueFilter
from dashboard.admin import WallboardForm
from dashboard.models import DisplayToken, Wallboard

pytestmark = pytest.mark.django_db

SIGNAGE = "https://signage.example.com"
DENIED = "frame-ancestors 'none'"


@pytest.fixture
def wallboard() -> Wallboard:
    instance = ConnectInstance.objects.create(
        name="Demo centre", instance_id=SIMULATED_INSTANCE_ID, access_mode=AccessMode.SIMULATED
    )
    queue_filter = QueueFilter.objects.create(name="All queues", instance=instance)
    wallboard = Wallboard.objects.create(slug="sales", title="Sales floor")
    wallboard.add_panel(queue_filter)
    return wallboard


@pytest.fixture
def staff() -> Client:
    client = Client()
    client.force_login(User.objects.create_user("boss", password="x", is_staff=True))
    return client


def frame_ancestors(policy: str) -> str:
    (directive,) = [d.strip() for d in policy.split(";") if "frame-ancestors" in d]
    return directive


def test_nothing_is_framed_by_default(wallboard: Wallboard, staff: Client) -> None:
    _, raw = DisplayToken.issue(wallboard, "Floor TV")
    for response in (
        Client().get(f"/wallboards/sales/tv/?token={raw}"),
        staff.get("/wallboards/sales/"),
        Client().get("/accounts/login/"),
    ):
        assert response.status_code == 200
        assert frame_ancestors(response["Content-Security-Policy"]) == DENIED
        assert response["X-Frame-Options"] == "DENY"


def test_the_named_origins_may_frame_the_tv_view_only(wallboard: Wallboard, staff: Client) -> None:
    wallboard.frame_origins = f"{SIGNAGE}\nhttp://player.local:8080"
    wallboard.save()
    _, raw = DisplayToken.issue(wallboard, "Floor TV")
    tv = Client().get(f"/wallboards/sales/tv/?token={raw}")
    assert tv.status_code == 200
    assert frame_ancestors(tv["Content-Security-Policy"]) == (
        f"frame-ancestors {SIGNAGE} http://player.local:8080"
    )
    assert "X-Frame-Options" not in tv  # it cannot name sites; the CSP says who may frame
    assert "script-src 'self'" in tv["Content-Security-Policy"]  # still the strict policy
    # A signage player showing a dead link shows why, in its frame.
    refused = Client().get("/wallboards/sales/tv/?token=not-a-token")
    assert refused.status_code == 403
    assert frame_ancestors(refused["Content-Security-Policy"]) == f"frame-ancestors {SIGNAGE} " + (
        "http://player.local:8080"
    )
    # The supervisor view, and the sign-in page the TV view sends a browser to, stay unframeable.
    for response in (staff.get("/wallboards/sales/"), Client().get("/accounts/login/")):
        assert frame_ancestors(response["Content-Security-Policy"]) == DENIED
        assert response["X-Frame-Options"] == "DENY"
    redirect = Client().get("/wallboards/sales/tv/")
    assert redirect.status_code == 302 and "X-Frame-Options" in redirect


def form_data(wallboard: Wallboard, frame_origins: str) -> dict[str, object]:
    return {
        "title": wallboard.title,
        "slug": wallboard.slug,
        "theme": wallboard.theme,
        "rotation_seconds": 30,
        "frame_origins": frame_origins,
    }


def test_the_admin_saves_origins_one_a_line_tidied(wallboard: Wallboard) -> None:
    form = WallboardForm(
        form_data(wallboard, "HTTPS://Signage.Example.com/\n\n  https://signage.example.com"),
        instance=wallboard,
    )
    assert form.is_valid(), form.errors
    form.save()
    wallboard.refresh_from_db()
    assert wallboard.frame_origins == SIGNAGE


@pytest.mark.parametrize(
    "bad",
    [
        "https://signage.example.com/player",  # a path
        "ftp://signage.example.com",  # not http(s)
        "signage.example.com",  # no scheme
        "https://signage.example.com; script-src *",  # another directive smuggled in
        "'self' https://a.example.com",  # two sources on one line
        "https://*.example.com",  # wildcards
        "https://signage.example.com:70000",  # no such port
        "*",
    ],
)
def test_a_bad_origin_is_refused_naming_the_rule(wallboard: Wallboard, bad: str) -> None:
    form = WallboardForm(form_data(wallboard, f"{SIGNAGE}\n{bad}"), instance=wallboard)
    assert not form.is_valid()
    (message,) = form.errors["frame_origins"]
    assert "Each line must be one origin, scheme://host or scheme://host:port" in message
    assert repr(bad.lower()) in message
    wallboard.refresh_from_db()
    assert wallboard.frame_origins == ""


def test_the_admin_page_offers_the_setting(wallboard: Wallboard) -> None:
    admin = Client()
    admin.force_login(User.objects.create_superuser("root", "root@example.com", "x"))
    page = admin.get(f"/admin/dashboard/wallboard/{wallboard.pk}/change/")
    assert page.status_code == 200
    assert 'name="frame_origins"' in page.content.decode()
    assert "Showing the TV view in a frame" in page.content.decode()
