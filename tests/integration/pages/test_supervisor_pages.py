"""Who may open the supervisor's pages: sign in on the site's own page, then the list and
the wallboards shared with them, and no others."""

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from dashboard.models import Wallboard
from tests.integration.pages import page_config


def test_home_goes_to_the_wallboard_list(client: Client, db: None) -> None:
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == reverse("wallboards")


@pytest.mark.parametrize("path", ["/wallboards/", "/wallboards/sales/", "/wallboards/sales/tv/"])
def test_pages_without_a_token_ask_for_sign_in(
    client: Client, boards: dict[str, Wallboard], path: str
) -> None:
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=")


def test_a_supervisor_signs_in_on_the_sites_own_page(client: Client, supervisor: User) -> None:
    response = client.post(
        reverse("login"), {"username": "sam", "password": "a-long-password-1"}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("wallboards")
    assert b"Sales floor" in response.content


def test_the_list_shows_only_the_wallboards_a_supervisor_may_view(signed_in: Client) -> None:
    page = signed_in.get("/wallboards/").content.decode()
    assert "Sales floor" in page  # a viewer
    assert "Billing" in page  # through a group
    assert "Night" not in page


def test_a_supervisor_sees_a_wallboard_they_may_view(signed_in: Client) -> None:
    response = signed_in.get("/wallboards/sales/")
    assert response.status_code == 200
    config = page_config(response.content.decode())
    assert config["ws_path"] == "/ws/wallboards/sales/"
    panel = Wallboard.objects.get(slug="sales").panels.get()
    assert config["wallboard"]["panels"] == [
        {
            "id": panel.pk,
            "title": "All queues",
            "layout": "tiles",
            "columns": panel.columns,
            "source": f"queue_filter:{panel.queue_filter_id}",
            "queue_filter": panel.queue_filter_id,
        }
    ]
    assert config["catalogue"]["OLDEST_CONTACT_AGE"] == {"label": "Oldest", "unit": "SECONDS"}


@pytest.mark.parametrize("path", ["/wallboards/night/", "/wallboards/night/tv/"])
def test_a_wallboard_not_shared_with_the_supervisor_is_refused(
    signed_in: Client, path: str
) -> None:
    response = signed_in.get(path)
    assert response.status_code == 403
    assert "You do not have access to this wallboard" in response.content.decode()


@pytest.mark.parametrize("path", ["/wallboards/nope/", "/wallboards/nope/tv/"])
def test_an_unknown_wallboard_is_not_found(signed_in: Client, path: str) -> None:
    assert signed_in.get(path).status_code == 404
