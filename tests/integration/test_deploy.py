"""Production settings: `check --deploy` clean with production variables (and still able to
complain), the image's static files usable with DEBUG off, logs one line per event on stdout."""

import os
import re
import secrets
import subprocess
import sys
import urllib.error
import urllib.request
from email.message import Message
from pathlib import Path

from tests.processes import ROOT, Stack

# Variables the test process has that production does not (pytest-env sets DEBUG=1).
NOT_IN_PRODUCTION = {"DEBUG", "SECRET_KEY", "REDIS_URL", "DATABASE_URL", "DJANGO_SETTINGS_MODULE"}

PRODUCTION = {
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "wallboard.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://wallboard.example.com",
    "SECURE_PROXY_SSL_HEADER": "1",
    "SECURE_SSL_REDIRECT": "1",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "1",
    # As docker-compose.yml sets them.
    "REDIS_URL": "redis://redis:6379/0",
    "DATABASE_URL": "postgres://wallboard:secret@postgres:5432/wallboard",
}


def production_env(**overrides: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if k not in NOT_IN_PRODUCTION}
    return {**base, "DJANGO_SETTINGS_MODULE": "dashboard.settings", **PRODUCTION, **overrides}


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def check_deploy(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # No database is reached: the deploy checks read settings only.
    return manage(env, "check", "--deploy", "--fail-level", "WARNING")


def test_check_deploy_is_clean_with_production_variables() -> None:
    result = check_deploy(production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    # W021 (HSTS preload) and W003, which cannot see Django's CSRF middleware under the
    # subclass the site runs it as (settings.SILENCED_SYSTEM_CHECKS says why).
    assert "System check identified no issues (2 silenced)." in result.stdout


def test_the_csrf_middleware_the_deploy_check_cannot_see_is_djangos() -> None:
    from django.conf import settings
    from django.middleware.csrf import CsrfViewMiddleware
    from django.utils.module_loading import import_string

    site_checks = [
        found
        for found in map(import_string, settings.MIDDLEWARE)
        if isinstance(found, type) and issubclass(found, CsrfViewMiddleware)
    ]
    assert [check.__name__ for check in site_checks] == ["CsrfOriginMiddleware"]


def test_the_env_example_filled_in_passes_check_deploy() -> None:
    example = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line and not line.startswith("#"):
            name, value = line.split("=", 1)
            example[name] = secrets.token_urlsafe(50) if "change-me" in value else value
    env = {k: v for k, v in production_env().items() if k not in PRODUCTION}
    result = check_deploy({**env, **example, "REDIS_URL": PRODUCTION["REDIS_URL"]})
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_deploy_still_catches_what_is_not_handled() -> None:
    result = check_deploy(production_env(SECURE_HSTS_SECONDS="0", DEBUG="1"))
    assert result.returncode != 0
    assert "security.W004" in result.stderr  # no HSTS
    assert "security.W018" in result.stderr  # DEBUG on


def settings_of(env: dict[str, str], *names: str) -> list[str]:
    code = (
        "import django; django.setup(); from django.conf import settings; "
        f"print(*[repr(getattr(settings, n)) for n in {list(names)!r}], sep='|')"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().split("|")


def test_safe_by_default_and_https_options_opt_in() -> None:
    names = (
        "DEBUG",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SECURE_HSTS_SECONDS",
        "SECURE_SSL_REDIRECT",
        "SECURE_PROXY_SSL_HEADER",
    )
    bare = {k: v for k, v in production_env().items() if k not in PRODUCTION}
    defaults = settings_of({**bare, "SECRET_KEY": "x" * 50}, *names)
    assert defaults == ["False", "True", "True", "0", "False", "None"]
    opted_in = settings_of(production_env(), *names)
    assert opted_in == [
        "False",
        "True",
        "True",
        "31536000",
        "True",
        "('HTTP_X_FORWARDED_PROTO', 'https')",
    ]


LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (DEBUG|INFO|WARNING|ERROR|CRITICAL) ")


def test_logs_go_to_stdout_one_line_per_event() -> None:
    code = (
        "import django, logging; django.setup()\n"
        "try:\n    1 / 0\nexcept ZeroDivisionError:\n"
        "    logging.getLogger('connectmetrics.poller.polling').exception('poll crashed\\nbadly')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=production_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.stderr == ""
    (line,) = done.stdout.splitlines()
    assert LOG_LINE.match(line)
    assert "poll crashed\\nbadly\\nTraceback" in line and "ZeroDivisionError" in line


def dockerfile_collectstatic_env() -> dict[str, str]:
    """The variables the Dockerfile sets for its collectstatic step."""
    dockerfile = (ROOT / "Dockerfile").read_text()
    found = re.search(r"((?:\w+=\S+\s+)*)python manage\.py collectstatic", dockerfile)
    assert found is not None, "the Dockerfile collects no static files"
    return dict(pair.split("=", 1) for pair in found.group(1).split())


def fetch(url: str, **headers: str) -> tuple[int, Message, str]:
    """Status, headers (names in any case) and body, without following redirects."""
    request = urllib.request.Request(url, headers=headers)

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: object, **kwargs: object) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=10) as response:
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode()


def test_the_image_build_and_production_settings_serve_pages(tmp_path: Path) -> None:
    static_root = tmp_path / "static"
    build_env = {
        **production_env(),
        "REDIS_URL": "",
        "SECRET_KEY": "",
        **dockerfile_collectstatic_env(),
        "STATIC_ROOT": str(static_root),
    }
    collected = manage(build_env, "collectstatic", "--noinput")
    assert collected.returncode == 0, collected.stderr
    # A page reloaded onto a new build must not mix in modules of the old one: the
    # collected modules import each other by their hashed names.
    (tv_module,) = [
        p for p in (static_root / "wallboard").glob("tv.*.js") if p.name.count(".") == 2
    ]
    assert re.search(r'from "\./page\.[0-9a-f]{12}\.js"', tv_module.read_text())
    stack = Stack(
        tmp_path,
        redis_url=None,
        env={
            **{k: v for k, v in PRODUCTION.items() if k not in ("REDIS_URL", "DATABASE_URL")},
            "ALLOWED_HOSTS": "127.0.0.1",
            "DEBUG": "0",
            "STATIC_ROOT": str(static_root),
        },
    )
    stack.manage("migrate", "--noinput")
    web = stack.start_web()
    try:
        via_proxy = {"X-Forwarded-Proto": "https"}
        status, headers, page = fetch(f"{web.url}/accounts/login/", **via_proxy)
        assert status == 200, page
        assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
        css = re.search(r'href="(/static/wallboard/base\.[0-9a-f]{12}\.css)"', page)
        assert css is not None, "pages link the hashed static files of the manifest"
        status, headers, _ = fetch(f"{web.url}{css.group(1)}", **via_proxy)
        assert status == 200 and "immutable" in headers["Cache-Control"]
        status, headers, _ = fetch(f"{web.url}/accounts/login/")
        assert (status, headers["Location"]) == (
            301,
            f"https://127.0.0.1:{web.port}/accounts/login/",
        )
        status, _, body = fetch(f"{web.url}/healthz")  # compose's healthcheck: plain HTTP
        assert (status, body) == (200, '{"status": "ok"}')  # anyone learns only ok or not
        fetch(f"{web.url}/wallboards/lobby/tv/?token=a-display-token", **via_proxy)
    finally:
        stack.stop_all()
    assert "a-display-token" not in web.logs()  # no access log: URLs carry tokens
    lines = web.logs().splitlines()
    assert lines and all(LOG_LINE.match(line) for line in lines), web.logs()
    assert any("uvicorn.error Application startup complete." in line for line in lines)


def test_without_collected_static_files_the_server_refuses_to_start_naming_the_command(
    tmp_path: Path,
) -> None:
    # Not a server whose every page answers 500: a start-up error that says what to run.
    stack = Stack(
        tmp_path,
        redis_url=None,
        env={
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1",
            "STATIC_ROOT": str(tmp_path / "never-collected"),
        },
    )
    stack.manage("migrate", "--noinput")
    web = stack.start("web")
    try:
        exit_code = web.process.wait(timeout=30)
    finally:
        stack.stop_all()
    assert exit_code != 0
    assert "The static files are not collected in STATIC_ROOT" in web.logs()
    assert "run `python manage.py collectstatic --noinput`" in web.logs()
