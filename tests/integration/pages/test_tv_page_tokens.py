"""The TV page with a display token: no sign-in, only its wallboard and its rotation's, a
revoked link says so, and a theme chosen in the URL."""

from django.test import Client

from dashboard.models import DisplayToken, Wallboard
from tests.integration.pages import page_config


def test_a_tv_with_its_display_token_needs_no_sign_in(
    client: Client, boards: dict[str, Wallboard]
) -> None:
    token, raw = DisplayToken.issue(boards["sales"], "Floor 2 TV")
    response = client.get(f"/wallboards/sales/tv/?token={raw}")
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    token.refresh_from_db()
    assert token.last_seen_at is not None


def test_another_wallboards_token_is_refused(client: Client, boards: dict[str, Wallboard]) -> None:
    _, raw = DisplayToken.issue(boards["night"], "Night TV")
    response = client.get(f"/wallboards/sales/tv/?token={raw}")
    assert response.status_code == 403
    assert "not valid for this wallboard" in response.content.decode()


def test_a_revoked_token_is_refused_and_says_why(
    client: Client, boards: dict[str, Wallboard]
) -> None:
    token, raw = DisplayToken.issue(boards["sales"], "Floor 2 TV")
    token.revoke()
    response = client.get(f"/wallboards/sales/tv/?token={raw}")
    assert response.status_code == 403
    assert "This screen&#x27;s link was revoked" in response.content.decode()


def test_a_token_shows_the_wallboards_in_its_rotation_and_no_others(
    client: Client, boards: dict[str, Wallboard]
) -> None:
    _, raw = DisplayToken.issue(boards["sales"], "Floor 2 TV")
    shown = client.get(f"/wallboards/billing/tv/?token={raw}&via=sales")
    assert shown.status_code == 200
    assert page_config(shown.content.decode())["rotation_owner"] == "sales"
    refused = client.get(f"/wallboards/night/tv/?token={raw}&via=sales")
    assert refused.status_code == 403
    assert "not in the rotation" in refused.content.decode()


def test_a_tv_theme_can_be_chosen_in_the_url(client: Client, boards: dict[str, Wallboard]) -> None:
    _, raw = DisplayToken.issue(boards["sales"], "Floor 2 TV")
    assert (
        'class="tv theme-light'
        in client.get(f"/wallboards/sales/tv/?token={raw}&theme=light").content.decode()
    )
    assert (
        'class="tv theme-dark'
        in client.get(f"/wallboards/sales/tv/?token={raw}&theme=<script>").content.decode()
    )
