"""Attacks on the real server (issue 7, point 8): who gets in, and what markup gets out.

One web process as `make demo` runs it (uvicorn, embedded mode, polling itself), on a
private SQLite file. The queue names come from Connect through discovery: the simulated
centre is given names with markup (`queue_names=`), which is how a name the admins do
not control reaches the product. The simulator has no option for routing-profile names,
so one is given markup in the database. The pages' own escaping of those names is the
UI's test (tests/browser/test_queue_names.py::test_queue_names_with_markup_are_shown_as_text); here
the admin pages, the socket and the page shells are checked, and that no page script can
turn a name into markup at all.
"""

import asyncio
import hashlib
import html
import http.client
import http.cookiejar
import json
import re
import socket
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from connectmetrics.connectapi.catalogue import SIMULATED_INSTANCE_ID
from tests.chaos_support import (
    Answer,
    Screen,
    Topology,
    csrf_token,
    post_form,
    post_metrics,
    request,
    signed_in,
    socket_outcome,
    start_topology,
)

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
MARKUP_QUEUE = '<img src=x onerror="alert(1)">Sales</b>'
MARKUP_PROFILE = "<script>alert(2)</script>Front Office"
MARKUP_TITLE = '"><svg onload=alert(3)>'
SUPERVISOR_PASSWORD = "a-supervisor-password-1"
REVOKED = "This screen's link was revoked"
GUESSER = "127.0.0.2"  # loopback too, but another client address
METRICS_BODY = {
    "Filters": {"Channels": ["VOICE"], "Queues": []},
    "Groupings": ["QUEUE"],
    "CurrentMetrics": [{"Name": "AGENTS_ONLINE", "Unit": "COUNT"}],
}

SETUP = f"""
import json
from django.contrib.auth.models import User
from connectmetrics.client import client
from connectmetrics.discovery import discover
from connectmetrics.models import ConnectInstance, QueueFilter, RoutingProfile
from connectmetrics.simulator import SimulatedCentre
from dashboard.models import DisplayToken, Wallboard
User.objects.create_user("supervisor", password={SUPERVISOR_PASSWORD!r})
instance = ConnectInstance.objects.get()
names = [{MARKUP_QUEUE!r}] + [f"Queue {{n}}" for n in range(2, 21)]
centre = SimulatedCentre(seed=instance.simulator_seed, queue_names=names)
client._clients[client._client_key(instance)] = centre.client()
discover(instance)
profile = RoutingProfile.objects.filter(instance=instance).order_by("pk").first()
profile.name = {MARKUP_PROFILE!r}
profile.save()
demo = Wallboard.objects.get(slug="demo")
elsewhere = Wallboard.objects.create(slug="elsewhere", title={MARKUP_TITLE!r})
shown = demo.panels.all()[0]
elsewhere.add_panel(shown.queue_filter, columns=shown.columns)
_, elsewhere_token = DisplayToken.issue(elsewhere, "Elsewhere TV")
print(json.dumps({{
    "elsewhere_token": elsewhere_token,
    "queue_ids": list(instance.queues.values_list("queue_id", flat=True)[:3]),
    "filter": shown.queue_filter_id,
}}))
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Topology]:
    running = start_topology(tmp_path_factory.mktemp("security"), redis_url=None, interval=1)
    yield running
    running.discard()


@pytest.fixture(scope="module")
def made(site: Topology) -> dict[str, Any]:
    facts: dict[str, Any] = site.shell_json(SETUP)
    facts["api_token"] = site.stack.manage("api_token", "Security tests").stdout.strip()
    return facts


def issue_display_token(site: Topology, slug: str) -> str:
    return str(
        site.shell_json(
            "import json; from dashboard.models import DisplayToken, Wallboard; print(json.dumps("
            f"DisplayToken.issue(Wallboard.objects.get(slug={slug!r}), 'spare')[1]))"
        )
    )


def login_redirect(answer: Any) -> str:
    assert answer.status == 302, answer.status
    return str(answer.headers["location"])


async def test_anonymous_pages_sockets_and_endpoint_requests_are_refused(
    site: Topology, made: dict[str, Any]
) -> None:
    base = site.base_url
    for path in ("/wallboards/", "/wallboards/demo/", "/wallboards/demo/tv/"):
        assert login_redirect(request(base + path)).startswith("/accounts/login/?next=")
    assert login_redirect(request(base + "/admin/")).startswith("/admin/login/")
    refused = await socket_outcome(site.socket_url(token="-").replace("?token=-", ""), base)
    assert (refused.close_code, refused.close_reason) == (4001, "Sign in to see this wallboard")
    assert refused.kinds == []
    body = {**METRICS_BODY, "Filters": {"Channels": ["VOICE"], "Queues": made["queue_ids"]}}
    for authorization in ({}, {"Authorization": "Bearer not-a-token"}):
        answer = request(
            f"{base}/metrics/current/{SIMULATED_INSTANCE_ID}",
            method="POST",
            body=json.dumps(body).encode(),
            headers=authorization,
        )
        assert answer.status == 401
        assert answer.json()["error"]["code"] == "UNAUTHORIZED"
        assert answer.headers["www-authenticate"] == 'Bearer realm="metrics"'
    assert post_metrics(base, made["api_token"], body).status == 200  # the door works


async def test_a_display_token_opens_its_own_wallboard_only(
    site: Topology, made: dict[str, Any]
) -> None:
    base = site.base_url
    own = await socket_outcome(site.socket_url("demo"), base, within=3)
    assert own.kinds[:2] == ["wallboard", "snapshot"]
    # The demo's token on the other demo wallboard (in its rotation, but not named as such),
    # and on a wallboard outside its rotation even when it says whose it is.
    for url in (
        site.socket_url("demo-channels"),
        site.socket_url("elsewhere") + "&via=demo",
    ):
        refused = await socket_outcome(url, base)
        assert refused.close_code == 4001 and refused.kinds == []
    page = request(f"{base}/wallboards/elsewhere/tv/?token={site.tv_token}")
    assert page.status == 403
    assert "not valid for this wallboard" in page.body.decode()
    # The rotation the admin set up is the one way a token shows another wallboard.
    rotating = await socket_outcome(site.socket_url("demo-channels") + "&via=demo", base, within=3)
    assert rotating.kinds[:2] == ["wallboard", "snapshot"]
    other = await socket_outcome(site.socket_url("demo", made["elsewhere_token"]), base)
    assert other.close_code == 4001


async def test_a_revoked_token_closes_its_screens_at_once_and_opens_nothing_more(
    site: Topology,
) -> None:
    base = site.base_url
    raw = issue_display_token(site, "demo")
    token_id = site.shell_json(
        "from dashboard.models import DisplayToken; from dashboard.lib.tokens import hash_token; "
        f"print(DisplayToken.objects.get(token_hash=hash_token({raw!r})).pk)"
    )
    admin = signed_in(base)
    async with Screen(site.socket_url("demo", raw), base) as screen:
        await screen.wait_for(lambda r: r.kind == "snapshot", 5)
        answer = post_form(
            f"{base}/admin/dashboard/displaytoken/",
            {"action": "revoke", "_selected_action": str(token_id), "index": "0"},
            admin,
        )
        assert answer.status == 302
        revoked = await screen.wait_for(lambda r: r.kind == "revoked", 2)
        for _ in range(20):
            if not screen.open:
                break
            await asyncio.sleep(0.1)
    assert revoked.message["reason"] == "This screen's link was revoked"
    assert (screen.close_code, screen.close_reason) == (4003, "This screen's link was revoked")
    again = await socket_outcome(site.socket_url("demo", raw), base)
    assert again.close_code == 4003 and again.kinds == []
    assert request(f"{base}/wallboards/demo/tv/?token={raw}").status == 403


def test_tokens_are_stored_hashed(site: Topology, made: dict[str, Any]) -> None:
    stored = (site.stack.workdir / "db.sqlite3").read_bytes()
    for raw in (site.tv_token, made["elsewhere_token"], made["api_token"]):
        assert raw.encode() not in stored
        assert hashlib.sha256(raw.encode()).hexdigest().encode() in stored


async def test_display_tokens_never_reach_the_server_log_in_any_spelling(site: Topology) -> None:
    plain = site.socket_url()
    for spelling in ("token", "tok%65n", "%74oken", "%74%6F%6B%65%6E"):
        url = plain.replace("?token=", f"?via=demo&{spelling}=")
        accepted = await socket_outcome(url, site.base_url, within=3)
        assert accepted.kinds[:2] == ["wallboard", "snapshot"], spelling
    logged = site.web.logs()
    assert "/ws/wallboards/demo/?via=[hidden]&tok%65n=[hidden]" in logged
    assert site.tv_token not in logged


async def test_sockets_and_cookie_posts_from_another_origin_are_refused(site: Topology) -> None:
    base = site.base_url
    jar = http.cookiejar.CookieJar()
    admin = signed_in(base, jar=jar)
    cookie = {"Cookie": "; ".join(f"{c.name}={c.value}" for c in jar)}
    socket_url = site.socket_url().split("?")[0]
    # Another site, another port or scheme of this host, another of its names, none.
    others = (
        "http://evil.example",
        "null",
        "http://127.0.0.1:9999",
        f"https://127.0.0.1:{site.port}",
        f"http://localhost:{site.port}",
    )
    for origin in (*others, None):
        refused = await socket_outcome(socket_url, origin, headers=cookie)
        assert refused.handshake_status == 403, origin
    served = await socket_outcome(socket_url, base, headers=cookie, within=3)
    assert served.kinds[:2] == ["wallboard", "snapshot"]
    # The same rule for a POST that rides on the session cookie, CSRF token and all.
    page = f"{base}/admin/password_change/"
    form = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": csrf_token(request(page, opener=admin).body.decode())}
    ).encode()
    for origin in others:
        answer = request(page, method="POST", body=form, headers={"Origin": origin}, opener=admin)
        assert answer.status == 403, origin
    answer = request(page, method="POST", body=form, headers={"Origin": base}, opener=admin)
    assert answer.status == 200  # the form, with its errors: the request was let through


async def test_the_admin_is_for_staff_only(site: Topology) -> None:
    base = site.base_url
    with pytest.raises(PermissionError):
        signed_in(base, "supervisor", SUPERVISOR_PASSWORD)
    # A supervisor signed in to the site is still not let into the admin...
    jar = http.cookiejar.CookieJar()
    supervisor = signed_in(
        base, "supervisor", SUPERVISOR_PASSWORD, login_path="/accounts/login/", jar=jar
    )
    assert login_redirect(request(f"{base}/admin/", opener=supervisor)).startswith("/admin/login/")
    assert request(f"{base}/admin/dashboard/displaytoken/", opener=supervisor).status == 302
    # ...nor onto a wallboard nobody made them a viewer of, page or socket.
    assert request(f"{base}/wallboards/demo/", opener=supervisor).status == 403
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    refused = await socket_outcome(
        site.socket_url().split("?")[0], base, headers={"Cookie": cookie}
    )
    assert (refused.close_code, refused.close_reason) == (
        4003,
        "You do not have access to this wallboard",
    )
    # Staff get in.
    assert request(f"{base}/admin/", opener=signed_in(base)).status == 200


async def test_names_from_connect_are_text_wherever_they_are_shown(
    site: Topology, made: dict[str, Any]
) -> None:
    base = site.base_url
    admin = signed_in(base)
    pages = {
        "queues": request(f"{base}/admin/connectmetrics/queue/", opener=admin).body.decode(),
        "filter": request(
            f"{base}/admin/connectmetrics/queuefilter/{made['filter']}/change/", opener=admin
        ).body.decode(),
        "profiles": request(
            f"{base}/admin/connectmetrics/routingprofile/", opener=admin
        ).body.decode(),
    }
    for name, page in pages.items():
        shown = MARKUP_PROFILE if name == "profiles" else MARKUP_QUEUE
        assert shown not in page, f"raw markup on the {name} page"
        assert html.escape(shown, quote=False) in page or html.escape(shown) in page, name
    # The socket carries the name as text for the page to put in a text node.
    async with Screen(site.socket_url(), base) as screen:
        received = await screen.wait_for(
            lambda r: r.kind in ("snapshot", "update") and bool(r.state["rows"]), 10
        )
    labels = [row["label"] for row in received.state["rows"]]
    assert MARKUP_QUEUE in labels
    # The page shells hold no names, and escape what an admin typed (the title).
    for path in ("/wallboards/elsewhere/tv/", "/wallboards/elsewhere/"):
        shell = request(f"{base}{path}?token={made['elsewhere_token']}", opener=admin)
        text = shell.body.decode()
        assert shell.status == 200 and MARKUP_TITLE not in text and MARKUP_QUEUE not in text
        config = re.search(
            r'<script id="wallboard-config" type="application/json">(.*?)</script>', text, re.S
        )
        assert config is not None and "<" not in config.group(1)
    # The endpoint's JSON is never sniffed into a page.
    body = {**METRICS_BODY, "Filters": {"Channels": ["VOICE"], "Queues": made["queue_ids"]}}
    answer = post_metrics(base, made["api_token"], body)
    assert answer.headers["content-type"] == "application/json"
    assert answer.headers["x-content-type-options"] == "nosniff"


def test_no_page_script_can_turn_text_into_markup() -> None:
    sinks = re.compile(r"\.(innerHTML|outerHTML|insertAdjacentHTML)\b|document\.write|eval\(")
    scripts = sorted((ROOT / "static").rglob("*.js"))
    assert scripts
    found = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in scripts
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if sinks.search(line)
    ]
    assert found == []


async def test_repeated_wrong_tokens_from_one_address_are_slowed_down(
    site: Topology, made: dict[str, Any]
) -> None:
    base = site.base_url
    guesser = (GUESSER, 0)  # an address no other test has used
    codes = [
        (
            await socket_outcome(site.socket_url("demo", f"guess-{n}"), base, local_addr=guesser)
        ).close_code
        for n in range(12)
    ]
    assert codes == [4001] * 10 + [4029] * 2
    # Locked out, even a right token from that address is not looked at now...
    locked = await socket_outcome(site.socket_url("demo"), base, local_addr=guesser)
    assert locked.close_code == 4029 and locked.close_reason.startswith("Too many wrong tokens")
    # ...while the screens at other addresses carry on.
    served = await socket_outcome(site.socket_url("demo"), base)
    assert served.kinds[:2] == ["wallboard", "snapshot"]
    # Each door counts its own: the guesser still reaches the endpoint and another wallboard,
    # until it has guessed there as often.
    statuses = [endpoint_status(site.port, "guess") for _ in range(11)]
    assert statuses == [401] * 10 + [429]
    rotating = site.socket_url("demo-channels") + "&via=demo"
    other_door = await socket_outcome(rotating, base, local_addr=guesser, within=3)
    assert other_door.kinds[:2] == ["wallboard", "snapshot"]


def endpoint_status(port: int, token: str, source: str = GUESSER) -> int:
    endpoint = http.client.HTTPConnection("127.0.0.1", port, source_address=(source, 0))
    endpoint.request(
        "POST",
        f"/metrics/current/{SIMULATED_INSTANCE_ID}",
        body=json.dumps(METRICS_BODY),
        headers={"Authorization": f"Bearer {token}"},
    )
    answer = endpoint.getresponse()
    if answer.status == 429:
        assert int(answer.headers["Retry-After"]) >= 1
        assert json.loads(answer.read())["error"]["code"] == "THROTTLED"
    return answer.status


async def test_a_revoked_tv_link_reloaded_locks_out_no_tv_behind_the_same_address(
    site: Topology,
) -> None:
    base = site.base_url
    office = "127.0.0.3"  # loopback too, an address no other test has used
    revoked = issue_display_token(site, "demo")
    site.stack.shell(
        "from django.utils import timezone; from dashboard.models import DisplayToken; "
        "from dashboard.lib.tokens import hash_token; DisplayToken.objects.filter("
        f"token_hash=hash_token({revoked!r})).update(revoked_at=timezone.now())"
    )
    for _ in range(12):
        page = request_from(office, f"{base}/wallboards/demo/tv/?token={revoked}")
        assert page.status == 403 and "This screen&#x27;s link was revoked" in page.body.decode()
        refused = await socket_outcome(
            site.socket_url("demo", revoked), base, local_addr=(office, 0)
        )
        assert (refused.close_code, refused.close_reason) == (
            4003,
            "This screen's link was revoked",
        )
    assert request_from(office, f"{base}/wallboards/demo/tv/?token={site.tv_token}").status == 200
    served = await socket_outcome(site.socket_url("demo"), base, local_addr=(office, 0), within=3)
    assert served.kinds[:2] == ["wallboard", "snapshot"]


def request_from(source: str, url: str) -> Any:
    """A GET from another loopback address (urllib cannot choose its source)."""
    parsed = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(
        parsed.hostname, parsed.port, source_address=(source, 0)
    )
    connection.request("GET", f"{parsed.path}?{parsed.query}")
    answer = connection.getresponse()
    return Answer(answer.status, {k.lower(): v for k, v in answer.getheaders()}, answer.read())


def test_error_messages_quote_bad_input_only_briefly(site: Topology, made: dict[str, Any]) -> None:
    huge_queue = "q" * 2_400_000
    many_metrics = [{"Name": f"NOT_A_METRIC_{n}", "Unit": "COUNT"} for n in range(20_000)]
    for body, field in (
        ({**METRICS_BODY, "Filters": {"Channels": ["VOICE"], "Queues": [huge_queue]}}, "Queues"),
        ({**METRICS_BODY, "CurrentMetrics": many_metrics}, "CurrentMetrics"),
    ):
        answer = post_metrics(site.base_url, made["api_token"], body)
        assert answer.status == 400 and len(answer.body) < 4_000, len(answer.body)
        message = answer.json()["error"]["message"]
        assert answer.json()["error"]["code"] == "VALIDATION_ERROR"
        assert f"{field}: " in message
    assert (
        "is neither a queue ID"
        in post_metrics(
            site.base_url,
            made["api_token"],
            {**METRICS_BODY, "Filters": {"Channels": ["VOICE"], "Queues": [huge_queue]}},
        ).json()["error"]["message"]
    )


def test_a_bad_host_on_the_endpoint_gets_the_envelope_on_a_production_server(
    site: Topology, made: dict[str, Any], tmp_path: Path
) -> None:
    # A production server starts only with its static files collected (dashboard/static_files.py).
    collected = str(tmp_path / "static")
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput"],
        cwd=ROOT,
        env={**site.stack.env, "DEBUG": "0", "STATIC_ROOT": collected},
        check=True,
        capture_output=True,
    )
    production = site.stack.start_web(DEBUG="0", EMBEDDED_POLLER="0", STATIC_ROOT=collected)
    try:
        for host in ("evil.example", f"localhost.evil:{production.port}"):
            endpoint = http.client.HTTPConnection("127.0.0.1", production.port)
            endpoint.request(
                "POST",
                f"/metrics/current/{SIMULATED_INSTANCE_ID}",
                body=json.dumps(METRICS_BODY),
                headers={"Host": host, "Authorization": f"Bearer {made['api_token']}"},
            )
            answer = endpoint.getresponse()
            assert answer.status == 400 and answer.headers["Content-Type"] == "application/json"
            error = json.loads(answer.read())["error"]
            assert error["code"] == "VALIDATION_ERROR" and error["message"].startswith("Host: ")
        # The pages keep Django's own answer.
        page = http.client.HTTPConnection("127.0.0.1", production.port)
        page.request("GET", "/wallboards/", headers={"Host": "evil.example"})
        answered = page.getresponse()
        assert answered.status == 400 and "text/html" in answered.headers["Content-Type"]
    finally:
        production.stop()


def test_a_frame_that_is_not_utf8_is_logged_as_one_warning_line(site: Topology) -> None:
    path = site.socket_url().removeprefix(f"ws://127.0.0.1:{site.port}")
    with socket.create_connection(("127.0.0.1", site.port), timeout=5) as raw:
        raw.sendall(
            (
                f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{site.port}\r\nUpgrade: websocket\r\n"
                "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                f"Sec-WebSocket-Version: 13\r\nOrigin: {site.base_url}\r\n\r\n"
            ).encode()
        )
        assert raw.recv(4096).startswith(b"HTTP/1.1 101")
        payload, mask = b"\xff\xfe\xfd", b"\x01\x02\x03\x04"
        masked = bytes(byte ^ mask[n % 4] for n, byte in enumerate(payload))
        raw.sendall(bytes([0x81, 0x80 | len(payload)]) + mask + masked)
        received = b""
        while b"\x88\x02\x03\xef" not in received:  # a close frame, code 1007
            chunk = raw.recv(65536)
            assert chunk, received[-40:]
            received += chunk
    deadline = time.monotonic() + 5
    while "Invalid UTF-8" not in site.web.logs() and time.monotonic() < deadline:
        time.sleep(0.05)
    lines = [line for line in site.web.logs().splitlines() if "Invalid UTF-8" in line]
    assert len(lines) == 1 and " WARNING uvicorn.error " in lines[0]
    assert "Traceback" not in lines[0]


def test_arns_of_another_account_or_region_are_refused_without_an_arn_configured(
    site: Topology, made: dict[str, Any]
) -> None:
    region, account, configured = site.shell_json(
        "import json; from connectmetrics.models import ConnectInstance; "
        "i = ConnectInstance.objects.get(); "
        "print(json.dumps([i.region, i.known_account_id(), i.instance_arn]))"
    )
    assert configured == "" and account  # learned from the queues discovery found
    own = f"arn:aws:connect:{region}:{account}:instance/{SIMULATED_INSTANCE_ID}"
    queue = made["queue_ids"][0]
    body = {**METRICS_BODY, "Filters": {"Channels": ["VOICE"], "Queues": [queue]}}
    assert post_metrics(site.base_url, made["api_token"], body, quote(own, safe="")).status == 200
    elsewhere = {
        "another account": own.replace(account, "999999999999"),
        "another Region": own.replace(region, "ap-south-1"),
    }
    for name, arn in elsewhere.items():
        answer = post_metrics(site.base_url, made["api_token"], body, quote(arn, safe=""))
        error = answer.json()["error"]
        assert (answer.status, error["code"]) == (400, "VALIDATION_ERROR"), name
        assert error["message"].startswith("InstanceId: "), name
        in_filter = {**body, "Filters": {"Channels": ["VOICE"], "Queues": [f"{arn}/queue/{queue}"]}}
        answer = post_metrics(site.base_url, made["api_token"], in_filter)
        error = answer.json()["error"]
        assert (answer.status, error["code"]) == (400, "VALIDATION_ERROR"), name
        assert error["message"].startswith("Filters.Queues: "), name
