"""Display tokens: made by the command or the admin, shown once as a TV URL, stored
hashed, never typed in, revocable; and the wallboard admin around them."""

import hashlib
import re
from io import StringIO
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from connectmetrics.connectapi.catalogue import METRICS, SIMULATED_INSTANCE_ID
from connectmetrics.models import AccessMode, ConnectInstance, QueueFilter
from dashboard.models import DisplayToken, Wallboard
from tests.panels_support import panel_forms

TV_URL = re.compile(r"(https?://[^\s<\"]+/wallboards/sales/tv/\?token=([\w-]+))")


@pytest.fixture
def wallboard(db: None) -> Wallboard:
    instance = ConnectInstance.objects.create(
        name="Simulated", instance_id=SIMULATED_INSTANCE_ID, access_mode=AccessMode.SIMULATED
    )
    queue_filter = QueueFilter.objects.create(
        name="Sales queues",
        instance=instance,
        metrics=["AGENTS_ONLINE", "CONTACTS_IN_QUEUE", "OLDEST_CONTACT_AGE", "AGENTS_AVAILABLE"],
    )
    wallboard = Wallboard.objects.create(slug="sales", title="Sales floor")
    wallboard.add_panel(queue_filter, columns=["AGENTS_ONLINE"])
    return wallboard


def assert_stored_hashed(raw: str) -> DisplayToken:
    token = DisplayToken.objects.get(token_hash=hashlib.sha256(raw.encode()).hexdigest())
    stored = [str(value) for value in DisplayToken.objects.values_list().get(pk=token.pk)]
    assert not any(raw in value for value in stored)
    return token


# --- the command -----------------------------------------------------------------


def test_the_command_prints_a_tv_url_with_a_new_token_of_that_wallboard(
    wallboard: Wallboard,
) -> None:
    out = StringIO()

    call_command(
        "display_token", "sales", "--label", "Floor 2", "--base-url", "https://wb.example.com/",
        stdout=out,
    )  # fmt: skip

    url, raw = TV_URL.findall(out.getvalue())[0]
    assert url == f"https://wb.example.com/wallboards/sales/tv/?token={raw}"
    token = assert_stored_hashed(raw)
    assert (token.wallboard, token.label, token.prefix) == (wallboard, "Floor 2", raw[:8])
    assert DisplayToken.by_secret(raw, wallboard=wallboard) == token


def test_the_command_makes_a_new_token_each_time_on_the_default_address(
    wallboard: Wallboard, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PORT", raising=False)
    urls = []
    for _ in range(2):
        out = StringIO()
        call_command("display_token", "sales", stdout=out)
        urls.append(out.getvalue().strip())

    assert all(url.startswith("http://127.0.0.1:8000/wallboards/sales/tv/?token=") for url in urls)
    assert urls[0] != urls[1]
    assert DisplayToken.objects.filter(wallboard=wallboard, label="TV").count() == 2


def test_the_command_names_an_unknown_slug_and_the_known_ones(wallboard: Wallboard) -> None:
    with pytest.raises(CommandError, match=r"'floor-9'.*sales"):
        call_command("display_token", "floor-9")
    assert not DisplayToken.objects.exists()


@pytest.mark.parametrize(
    ("option", "value", "complaint"),
    [
        ("--base-url", "wb.example.com", "--base-url must be an http:// or https://"),
        ("--base-url", "ftp://wb.example.com", "--base-url must be an http:// or https://"),
        ("--label", "", "--label must be 1 to 100 characters"),
        ("--label", "x" * 101, "--label must be 1 to 100 characters"),
    ],
)
def test_the_command_refuses_bad_options_naming_them(
    wallboard: Wallboard, option: str, value: str, complaint: str
) -> None:
    with pytest.raises(CommandError, match=re.escape(complaint)):
        call_command("display_token", "sales", option, value)
    assert not DisplayToken.objects.exists()


# --- the display token admin -------------------------------------------------------


def messages_of(response: Any) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_making_a_token_in_the_admin_shows_its_tv_url_once(
    wallboard: Wallboard, admin_client: Client
) -> None:
    response = admin_client.post(
        reverse("admin:dashboard_displaytoken_add"),
        {"wallboard": wallboard.pk, "label": "Reception TV", "token_hash": "typed-in"},
        follow=True,
    )

    shown = TV_URL.findall(response.content.decode())
    assert len(shown) == 1
    url, raw = shown[0]
    assert url == f"http://testserver/wallboards/sales/tv/?token={raw}"
    token = assert_stored_hashed(raw)
    assert token.label == "Reception TV"
    assert token.token_hash != "typed-in"
    for page in (
        reverse("admin:dashboard_displaytoken_changelist"),
        reverse("admin:dashboard_displaytoken_change", args=[token.pk]),
        reverse("admin:dashboard_wallboard_change", args=[wallboard.pk]),
    ):
        content = admin_client.get(page).content.decode()
        assert raw not in content
        assert token.token_hash not in content


def test_the_token_list_shows_label_prefix_created_last_seen_and_revoked(
    wallboard: Wallboard, admin_client: Client
) -> None:
    token, _ = DisplayToken.issue(wallboard, "Reception TV")

    content = admin_client.get(reverse("admin:dashboard_displaytoken_changelist")).content
    text = content.decode()

    assert "Reception TV" in text and f"{token.prefix}…" in text
    for column in ("Created at", "Last seen at", "Revoked at"):
        assert column in text


def test_the_revoke_action_revokes_the_chosen_tokens(
    wallboard: Wallboard, admin_client: Client
) -> None:
    kept, _ = DisplayToken.issue(wallboard, "Floor 1 TV")
    revoked, raw = DisplayToken.issue(wallboard, "Floor 2 TV")

    response = admin_client.post(
        reverse("admin:dashboard_displaytoken_changelist"),
        {"action": "revoke", "_selected_action": [revoked.pk]},
        follow=True,
    )

    assert "Revoked 1 display token" in " ".join(messages_of(response))
    revoked.refresh_from_db()
    kept.refresh_from_db()
    assert revoked.revoked_at is not None and kept.revoked_at is None
    found = DisplayToken.by_secret(raw, wallboard=wallboard)
    assert found is not None and found.revoked


# --- the wallboard admin -------------------------------------------------------------


def wallboard_form(wallboard: Wallboard, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "title": wallboard.title,
        "slug": wallboard.slug,
        "theme": wallboard.theme,
        "ticker": wallboard.ticker,
        "rotation_seconds": wallboard.rotation_seconds,
        "display_tokens-TOTAL_FORMS": "0",
        "display_tokens-INITIAL_FORMS": "0",
        "display_tokens-MIN_NUM_FORMS": "0",
        "display_tokens-MAX_NUM_FORMS": "1000",
        **panel_forms(wallboard),
    }
    data.update(changes)
    return data


def test_a_token_made_inline_on_the_wallboard_shows_its_tv_url_once(
    wallboard: Wallboard, admin_client: Client
) -> None:
    form = wallboard_form(
        wallboard, **{"display_tokens-TOTAL_FORMS": "1", "display_tokens-0-label": "Lobby TV"}
    )

    response = admin_client.post(
        reverse("admin:dashboard_wallboard_change", args=[wallboard.pk]), form, follow=True
    )

    (_, raw), *others = TV_URL.findall(" ".join(messages_of(response)))
    assert others == []
    assert assert_stored_hashed(raw).label == "Lobby TV"


def test_columns_are_the_filters_metrics_in_catalogue_order_with_console_labels(
    wallboard: Wallboard, admin_client: Client
) -> None:
    page = admin_client.get(reverse("admin:dashboard_wallboard_change", args=[wallboard.pk]))
    offered = re.findall(r'name="panels-0-columns" value="(\w+)"', page.content.decode())

    assert offered == [
        "AGENTS_ONLINE",
        "AGENTS_AVAILABLE",
        "CONTACTS_IN_QUEUE",
        "OLDEST_CONTACT_AGE",
    ]
    assert METRICS["OLDEST_CONTACT_AGE"].label in page.content.decode()

    admin_client.post(
        reverse("admin:dashboard_wallboard_change", args=[wallboard.pk]),
        wallboard_form(wallboard, **{"panels-0-columns": ["OLDEST_CONTACT_AGE", "AGENTS_ONLINE"]}),
    )
    assert wallboard.panels.get().columns == ["AGENTS_ONLINE", "OLDEST_CONTACT_AGE"]


def test_a_column_the_queue_filter_does_not_fetch_is_a_form_error(
    wallboard: Wallboard, admin_client: Client
) -> None:
    response = admin_client.post(
        reverse("admin:dashboard_wallboard_change", args=[wallboard.pk]),
        wallboard_form(wallboard, **{"panels-0-columns": ["AGENTS_ONLINE", "SLOTS_ACTIVE"]}),
    )

    assert response.status_code == 200
    assert "errorlist" in response.content.decode()
    assert wallboard.panels.get().columns == ["AGENTS_ONLINE"]


def test_the_wallboard_list_links_to_its_supervisor_and_tv_views(
    wallboard: Wallboard, admin_client: Client
) -> None:
    content = admin_client.get(reverse("admin:dashboard_wallboard_changelist")).content.decode()

    assert 'href="/wallboards/sales/"' in content
    assert 'href="/wallboards/sales/tv/"' in content
