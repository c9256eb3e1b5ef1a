"""A strict Content-Security-Policy on every response.

The wallboard pages have no inline scripts or styles, so they get the strict
policy. Django's admin still sets a few inline style attributes, so it alone
may use inline styles (never inline scripts).
"""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

STRICT = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
ADMIN = STRICT.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")


def framed_policy(origins: list[str]) -> str:
    """The strict policy for a page that `origins` (checked by dashboard/framing.py) may frame."""
    return STRICT.replace("frame-ancestors 'none'", "frame-ancestors " + " ".join(origins))


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        policy = ADMIN if request.path.startswith("/admin/") else STRICT
        response.headers.setdefault("Content-Security-Policy", policy)
        return response
