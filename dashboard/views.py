"""The wallboard pages: the list, the supervisor view and the TV view.

The pages are shells: the numbers arrive over the wallboard socket. What a
page needs before its first message (columns, labels, the socket's path, the
build) travels in one JSON script tag, never in inline script.
"""

import math
from typing import Any

import msgspec
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache

from connectmetrics.alerts.views import may_acknowledge
from connectmetrics.connectapi.catalogue import METRICS
from connectmetrics.models import GROUPING_CHOICES
from dashboard import push
from dashboard.framing import frameable_by_wallboard_origins
from dashboard.lib import clock
from dashboard.lib.guard import request_address
from dashboard.models import Theme, Wallboard
from dashboard.screen_access import Outcome, decide

NO_ACCESS = "You do not have access to this wallboard. Ask an admin to add you to its viewers."
NEW_TV_LINK = "Ask an admin for a new TV link."


def home(request: HttpRequest) -> HttpResponse:
    return redirect("wallboards")


@login_required
def wallboard_list(request: HttpRequest) -> HttpResponse:
    wallboards = Wallboard.visible_to(request.user).prefetch_related(
        "panels__queue_filter", "panels__agent_source", "panels__today_source"
    )
    return render(request, "wallboards/list.html", {"wallboards": wallboards})


@never_cache
@login_required
def supervisor(request: HttpRequest, slug: str) -> HttpResponse:
    wallboard = get_object_or_404(Wallboard, slug=slug)
    if not wallboard.can_view(request.user):
        return _refused(request, NO_ACCESS)
    config = _page_config(wallboard, wallboard)
    # The open alerts' buttons post here (connectmetrics/alerts/views.py), for those who may.
    config["acknowledge"] = {
        "path": reverse("alert-acknowledge", args=[0]),
        "allowed": may_acknowledge(request.user),
        "csrf_token": get_token(request),
    }
    return render(request, "wallboards/supervisor.html", {"wallboard": wallboard, "config": config})


@never_cache
@frameable_by_wallboard_origins
def tv(request: HttpRequest, slug: str) -> HttpResponse:
    """The TV view: a display token in the URL, or a logged-in viewer."""
    raw_token = request.GET.get("token", "")
    if not raw_token and not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    wallboard = get_object_or_404(Wallboard, slug=slug)
    decision = decide(
        wallboard, raw_token, request.GET.get("via", ""), request.user, request_address(request)
    )
    match decision.outcome:
        case Outcome.LOCKED_OUT:
            response = _refused(request, decision.reason, tv=True, status=429)
            response["Retry-After"] = str(math.ceil(decision.wait))
            return response
        case Outcome.REVOKED | Outcome.NOT_VALID:
            return _refused(request, decision.reason, tv=True, detail=NEW_TV_LINK)
        case Outcome.NO_ACCESS | Outcome.NOT_SIGNED_IN:
            return _refused(request, NO_ACCESS, tv=True)
    assert decision.owner is not None
    theme = request.GET.get("theme", "")
    return render(
        request,
        "wallboards/tv.html",
        {
            "wallboard": wallboard,
            "theme": theme if theme in Theme.values else wallboard.theme,
            "config": _page_config(wallboard, decision.owner),
        },
    )


def _refused(
    request: HttpRequest, reason: str, *, tv: bool = False, detail: str = "", status: int = 403
) -> HttpResponse:
    return render(
        request,
        "wallboards/refused.html",
        {"reason": reason, "detail": detail, "tv": tv},
        status=status,
    )


def _page_config(wallboard: Wallboard, owner: Wallboard) -> dict[str, Any]:
    """What the page's scripts read before the socket's first message.

    `owner` is the wallboard whose rotation the screen follows: the wallboard
    itself, or for a TV rotating with another wallboard's display token, that
    wallboard.
    """
    return {
        "wallboard": msgspec.to_builtins(push.screen_settings(wallboard, owner)),
        "rotation_owner": owner.slug,
        "catalogue": {
            name: {"label": metric.label, "unit": metric.unit.value}
            for name, metric in METRICS.items()
        },
        "grouping_labels": dict(GROUPING_CHOICES),
        "build": settings.BUILD_ID,
        # The data clock's speed until the socket's "wallboard" message repeats it.
        "clock_speed": clock.speed(),
        "ws_path": f"/ws/wallboards/{wallboard.slug}/",
        "tv_path": reverse("wallboard-tv", args=["-slug-"]),
    }
