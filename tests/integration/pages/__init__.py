"""The wallboard pages through Django's test client (no browser)."""

import json
import re
from typing import Any


def page_config(html: str) -> dict[str, Any]:
    match = re.search(
        r'<script id="wallboard-config" type="application/json">(.*?)</script>', html, re.S
    )
    assert match, "the page carries its config in a JSON script tag"
    config: dict[str, Any] = json.loads(match.group(1))
    return config
