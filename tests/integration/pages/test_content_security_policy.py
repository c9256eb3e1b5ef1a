"""Every page works under a strict Content-Security-Policy: no inline code or styles."""

from html.parser import HTMLParser

import pytest
from django.test import Client


class InlineCode(HTMLParser):
    """Finds what a strict Content-Security-Policy would block: inline code and styles."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        if "style" in named:
            self.found.append(f"style attribute on <{tag}>")
        if any(name.startswith("on") for name in named):
            self.found.append(f"event handler on <{tag}>")
        if tag == "style":
            self.found.append("<style> element")
        if tag == "script" and "src" not in named and named.get("type") != "application/json":
            self.found.append("inline <script>")


@pytest.mark.parametrize(
    "path", ["/accounts/login/", "/wallboards/", "/wallboards/sales/", "/wallboards/sales/tv/"]
)
def test_pages_work_under_a_strict_content_security_policy(
    signed_in: Client, client: Client, path: str
) -> None:
    response = (client if path == "/accounts/login/" else signed_in).get(path)
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    parser = InlineCode()
    parser.feed(response.content.decode())
    assert parser.found == []
