"""Which sites may show a wallboard's TV view in a frame.

Signage players often show a web page inside a page of their own. Every page
refuses to be framed (`frame-ancestors 'none'`, `X-Frame-Options: DENY`)
except a wallboard's TV view, which the sites named in its `frame_origins`
may frame. Only the TV view: the supervisor view and the sign-in pages stay
unframeable, so no site can lure a signed-in user into clicking them.
"""

import re
from collections.abc import Callable
from functools import wraps

from django.apps import apps
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse

from dashboard.security import framed_policy

# scheme://host[:port], nothing else: a CSP source expression that cannot smuggle in
# another directive (no spaces, quotes, semicolons, paths or wildcards).
_ORIGIN = re.compile(
    r"https?://"
    r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*"
    r"(?::(?P<port>[0-9]{1,5}))?"
)


def parse_origins(text: str) -> list[str]:
    """The origins in `text`, one a line, lower-cased; a ValidationError names each bad one."""
    origins = [line.strip().lower().rstrip("/") for line in text.splitlines() if line.strip()]
    bad = []
    for origin in origins:
        match = _ORIGIN.fullmatch(origin)
        if match is None or (match["port"] is not None and not 0 < int(match["port"]) < 65536):
            bad.append(origin)
    if bad:
        raise ValidationError(
            "Each line must be one origin, scheme://host or scheme://host:port with scheme "
            "http or https and no path, such as https://signage.example.com; not: "
            + ", ".join(repr(origin[:100]) for origin in bad[:5])
        )
    return list(dict.fromkeys(origins))


def validate_frame_origins(text: str) -> None:
    parse_origins(text)


def allow_framing(response: HttpResponse, origins: list[str]) -> None:
    """Let `origins` frame this response (no origins: nobody, as every other page)."""
    if not origins:
        return
    response["Content-Security-Policy"] = framed_policy(origins)
    # X-Frame-Options cannot name sites (ALLOW-FROM is gone from browsers): the CSP's
    # frame-ancestors says who may frame this page, so there is none here.
    response.xframe_options_exempt = True


def frameable_by_wallboard_origins(
    view: Callable[[HttpRequest, str], HttpResponse],
) -> Callable[[HttpRequest, str], HttpResponse]:
    """For the TV view: its pages (the wallboard, or why it is refused) may be framed by
    the wallboard's frame origins; a redirect to sign in may not."""

    @wraps(view)
    def wrapped(request: HttpRequest, slug: str) -> HttpResponse:
        response = view(request, slug)
        if not 300 <= response.status_code < 400:
            wallboards = apps.get_model("dashboard", "Wallboard")
            stored = wallboards.objects.filter(slug=slug).values_list("frame_origins", flat=True)
            allow_framing(response, parse_origins(stored.first() or ""))
        return response

    return wrapped
