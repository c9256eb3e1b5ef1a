"""Every command README.md and docs/*.md show works as typed, in a fresh clone after `make demo`.

The commands are read from the documents themselves: each line (or continued command) of a
```sh block, and every inline `make ...`, `python ...`, `.venv/bin/...`, `docker ...`,
`git ...`, `curl ...` and `bin/... ...` in the prose. Each one must match exactly one rule
below, which either runs it or says why it cannot run here; a command added to the docs
without a rule fails this test until it gets one.

What differs from a new user's shell, and why:
- the clone gets the working tree's changes to tracked files (`git diff HEAD`), so the docs
  being edited are the ones checked;
- its `.venv` links to this checkout's (building one takes minutes), with `.installed` newer
  than pyproject.toml so `make` does not rebuild it;
- the demo serves on a free port, never 8000, and every `127.0.0.1:8000` in a command
  becomes that port;
- placeholders get the demo's values (`<instance>`, `<slug>`, `<a queue ID>`);
- `docker compose exec web python manage.py ...` runs the same manage.py command without
  Docker (the container runs the same code); `createsuperuser` without its prompts;
- `.venv/bin/pytest ...` is collected (`--collect-only`), not run: those are the suite's own
  tests, which `make test` and `make chaos` run.
"""

import contextlib
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from _pytest.mark.expression import Expression

from dashboard.management.commands.seed_demo import INSTANCE_NAME
from tests.conftest import RedisServer, free_port, wait_for_port
from tests.processes import ROOT

pytestmark = pytest.mark.e2e

DOCUMENTS = [ROOT / "README.md", ROOT / "CONTRIBUTING.md", *sorted((ROOT / "docs").glob("*.md"))]
INLINE = re.compile(
    r"(?<!`)`((?:make|\.venv/bin/[^`\s]+|python3?|docker|git|curl|bin/[^`\s]+) [^`]+)`(?!`)"
)
# What a shell started by a new user does not have (the suite's own settings included).
NOT_IN_A_NEW_SHELL = {
    "ENV_FILE",
    "DEBUG",
    "SECRET_KEY",
    "DATABASE_URL",
    "REDIS_URL",
    "DJANGO_SETTINGS_MODULE",
    "CONNECT_SIMULATOR_CONTROL_URL",
    "PYTEST_CURRENT_TEST",
}


@dataclass(frozen=True)
class Documented:
    document: str
    command: str  # as written, continuation lines included


def logical_commands(lines: list[str]) -> Iterator[str]:
    """The commands of a ```sh block: comment and blank lines dropped, a command continued
    by a trailing backslash or an open quote joined with its next lines."""
    pending = ""
    for line in lines:
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        pending = f"{pending}\n{line}" if pending else line
        if pending.rstrip().endswith("\\"):
            continue
        try:
            shlex.split(pending, comments=True)
        except ValueError:  # a quote still open
            continue
        yield pending
        pending = ""
    assert not pending, f"an unfinished command: {pending!r}"


def documented_commands() -> list[Documented]:
    found = []
    for path in DOCUMENTS:
        text = path.read_text()
        for block in re.finditer(r"^```sh\n(.*?)^```", text, re.S | re.M):
            found += [
                Documented(path.name, c) for c in logical_commands(block.group(1).splitlines())
            ]
        prose = re.sub(r"^```.*?^```", "", text, flags=re.S | re.M)
        found += [Documented(path.name, m.group(1)) for m in INLINE.finditer(prose)]
    return found


def without_comment(command: str) -> str:
    return re.sub(r"\s+#[^'\"\n]*$", "", command).strip()


@dataclass
class Demo:
    clone: Path
    port: int
    env: dict[str, str]
    redis_url: str
    variables: dict[str, str] = field(default_factory=dict)
    ran: list[str] = field(default_factory=list)
    test_ids: list[str] = field(default_factory=list)

    def run(self, command: str, *, env: dict[str, str] | None = None, timeout: float = 120) -> str:
        """Run `command` in bash in the clone, with the variables earlier commands set."""
        done = subprocess.run(
            ["bash", "-c", command],
            cwd=self.clone,
            env={**self.env, **self.variables, **(env or {})},
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        assert done.returncode == 0, f"{command}\nexited {done.returncode}:\n{done.stderr}"
        self.ran.append(command)
        return done.stdout

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def typed(self, command: str) -> str:
        """The command as this demo runs it: its port, the demo's values for placeholders."""
        if "<a queue ID>" in command and "QUEUE_ID" not in self.variables:
            self.variables["QUEUE_ID"] = self.run(
                ".venv/bin/python manage.py shell -v 0 -c "
                '"from connectmetrics.models import Queue; print(Queue.objects.first().queue_id)"'
            ).strip()
        return (
            without_comment(command)
            .replace("127.0.0.1:8000", f"127.0.0.1:{self.port}")
            .replace('"<instance>"', shlex.quote(INSTANCE_NAME))
            .replace("<slug>", "demo")
            .replace("<a queue ID>", self.variables.get("QUEUE_ID", "<a queue ID>"))
        )


# --- The rules: how each documented command runs here, or why it cannot -------------------


def run_assignment(demo: Demo, command: str) -> None:
    """`NAME=$(...)`: run it and keep NAME for the commands after it."""
    name = command.split("=", 1)[0]
    value = demo.run(f'{demo.typed(command)}; printf %s "${name}"')
    assert value.strip(), f"{name} came out empty"
    demo.variables[name] = value


def run_curl(demo: Demo, command: str) -> None:
    answer = json.loads(demo.run(demo.typed(command)))
    if '"Groupings": ["CHANNEL"]' in command:  # docs/api.md's example of a bad request
        assert answer == {
            "success": False,
            "error": {
                "code": "VALIDATION_ERROR",
                "message": "Groupings: CHANNEL grouping requires a Channels filter",
            },
        }
    elif "/metrics/current/" in command:
        assert answer["success"] is True, answer
        assert answer["data"]["MetricResults"], answer
    else:
        # /metrics/userdata and /metrics/data: the demo's floor may have no agent logged in
        # on the queue, or no contact handled in the hour, at this time of day.
        assert answer["success"] is True, answer
        assert answer["data"]["ApproximateTotalCount"] >= 0, answer


def run_manage_py(demo: Demo, command: str) -> None:
    """`python manage.py ...` (or through `docker compose exec web`), with the venv's python."""
    typed = demo.typed(command)
    args = typed[typed.index("manage.py") :]
    env: dict[str, str] = {}
    if " createsuperuser" in args:
        args += " --noinput --username docs-admin --email docs-admin@example.com"
        env["DJANGO_SUPERUSER_PASSWORD"] = "a-long-docs-password-1"
    if " collectstatic" in args:
        env = {"DEBUG": "0", "STATIC_ROOT": str(demo.clone / "collected")}
    output = demo.run(f".venv/bin/python {args}", env=env)
    if " display_token" in args:
        assert re.search(r"/wallboards/demo/tv/\?token=\S{20,}", output), output
    if " collectstatic" in args:
        assert (demo.clone / "collected" / "staticfiles.json").is_file()
    if " connect_check" in args:
        assert INSTANCE_NAME in output, output


def selected(selection: str, test_id: str) -> bool:
    """Whether `-k selection` picks the test (by the words of its ID, as pytest matches)."""
    name = test_id.lower()

    def matches(word: str, /, **kwargs: str | int | bool | None) -> bool:
        return word in name

    return not selection or Expression.compile(selection).evaluate(matches)


def collect_pytest(demo: Demo, command: str) -> None:
    """The tests a documented pytest command names (files or tier directories) exist and its
    -k selects some of them: one collection of the clone's tests serves every such command."""
    if not demo.test_ids:
        named = sorted(
            {
                word
                for d in documented_commands()
                if d.command.startswith(".venv/bin/pytest ")
                for word in shlex.split(d.command)
                if word.startswith("tests/")
            }
        )
        listed = demo.run(f".venv/bin/pytest --collect-only -q -p no:randomly {' '.join(named)}")
        demo.test_ids = [line for line in listed.splitlines() if "::" in line]
    argv = shlex.split(demo.typed(command))
    assert argv[0] == ".venv/bin/pytest", argv
    paths = [a.rstrip("/") for a in argv[1:] if a.startswith("tests/")]
    selection = argv[argv.index("-k") + 1] if "-k" in argv else ""
    chosen = [
        test_id
        for test_id in demo.test_ids
        if any(test_id == p or test_id.startswith((f"{p}::", f"{p}/")) for p in paths)
        and selected(selection, test_id)
    ]
    assert chosen, f"{command!r} selects no test"


def collect_tier(demo: Demo, command: str) -> None:
    """`.venv/bin/pytest -m "<tier>"`: the marker expression selects tests."""
    listed = demo.run(f"{demo.typed(command)} --collect-only -q -p no:randomly")
    assert re.search(r"^\d+/\d+ tests collected", listed, re.M), listed[-500:]


def run_as_typed(demo: Demo, command: str) -> None:
    demo.run(demo.typed(command))


def run_secret_key(demo: Demo, command: str) -> None:
    assert len(demo.run(demo.typed(command)).strip()) >= 60


def the_demo(demo: Demo, command: str) -> None:
    """`make demo` runs before everything else (the demo fixture), on a free port: it serves."""
    page = demo.run(f"curl -sS -o /dev/null -w '%{{http_code}}' {demo.url}/accounts/login/")
    assert page == "200"


def make_dev(demo: Demo, command: str) -> None:
    """`make dev`: web, worker and beat on the Redis at REDIS_URL (the suite's own here)."""
    port = free_port()
    with running(
        ["make", "dev", "HOST=127.0.0.1", f"PORT={port}"],
        demo,
        "dev.log",
        {"REDIS_URL": demo.redis_url},
    ):
        wait_for_port(port, timeout=60)
        health = demo.run(f"curl -sS 'http://127.0.0.1:{port}/healthz?scope=web'")
        assert json.loads(health) == {"status": "ok"}


def run_aws_access_key(demo: Demo, command: str) -> None:
    """The command writes the two lines of a new access key into a file."""
    demo.run(demo.typed(command))
    lines = (demo.clone / "bi.env").read_text().splitlines()
    assert [line.split("=", 1)[0] for line in lines] == [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
    ], lines


def read_env_file(demo: Demo, command: str) -> None:
    """`set -a; . ./bi.env; set +a`: the commands after it have the file's variables."""
    for line in (demo.clone / "bi.env").read_text().splitlines():
        name, _, value = line.partition("=")
        demo.variables[name] = value


def run_aws_cli(demo: Demo, command: str) -> None:
    """The AWS CLI (the venv has it) against the demo's drop-in endpoint, as AWS answers."""
    answer = json.loads(demo.run(f"PATH=.venv/bin:$PATH {demo.typed(command)}"))
    assert answer["MetricResults"], answer


def run_make_contract(demo: Demo, command: str) -> None:
    """Regenerating the contract's files changes nothing: the committed ones are current."""
    demo.run("make contract && git diff --exit-code -- docs static")


Rule = tuple[re.Pattern[str], Callable[[Demo, str], None] | str]
DOCKER = (
    "needs a Docker engine, which cannot run here "
    "(tests/integration/test_compose.py checks the file)"
)
RULES: list[Rule] = [
    (re.compile(r"^make demo\b"), the_demo),
    (re.compile(r"^make dev$"), make_dev),
    (re.compile(r"^make test$"), "the whole suite, which runs this test"),
    (re.compile(r"^make chaos$"), "the slow fault tests (minutes); their commands are collected"),
    (re.compile(r"^make test-postgres$"), "needs a PostgreSQL server on 127.0.0.1:5432"),
    (re.compile(r"^[A-Z]+=\$\("), run_assignment),
    (re.compile(r"^curl "), run_curl),
    (
        re.compile(
            r"^(docker compose exec web )?python manage\.py (?!api_token <|aws_access_key .*\[)\w+"
        ),
        run_manage_py,
    ),
    (
        re.compile(r"^python manage\.py api_token <name> \["),
        "a synopsis of api_token's arguments; the blocks above run it",
    ),
    (
        re.compile(r"^python manage\.py aws_access_key .*\["),
        "a synopsis of aws_access_key's arguments; README.md's block runs it",
    ),
    (re.compile(r"^python3 -c 'import secrets"), run_secret_key),
    (re.compile(r"^\.venv/bin/pytest (?!-m )"), collect_pytest),
    (re.compile(r"^\.venv/bin/pytest -m "), collect_tier),
    (re.compile(r"^\.venv/bin/pre-commit install$"), run_as_typed),
    (
        re.compile(r"^\.venv/bin/python (bench/|-m bench\.)"),
        "a benchmark (minutes on 2 cores); docs/performance.md has its results",
    ),
    (re.compile(r"^(git pull && )?docker compose (?!exec web python manage\.py)"), DOCKER),
    (re.compile(r"^bin/web --no-access-log$"), "prose naming a flag bin/web passes"),
    (re.compile(r"^\.venv/bin/python manage\.py aws_access_key .* > bi\.env$"), run_aws_access_key),
    (re.compile(r"^set -a; \. \./bi\.env; set \+a$"), read_env_file),
    (re.compile(r"^aws connect \S+ --endpoint-url http://127\.0\.0\.1:8000/"), run_aws_cli),
    (
        re.compile(r"^aws connect \S+ --endpoint-url https://wallboard\.example\.com/"),
        "the same AWS CLI call against a deployed server's address; README.md's runs here",
    ),
    (re.compile(r"^make contract$"), run_make_contract),
    (
        re.compile(r"^AWS_(ACCESS_KEY_ID|SECRET_ACCESS_KEY)=\.\.\.|^AWS_ACCESS_KEY_ID=CWAK"),
        "the two lines aws_access_key prints, shown as an example",
    ),
    (
        re.compile(r"^git worktree add /tmp/before "),
        "how to check out the code a benchmark's 'before' figures were measured on",
    ),
]


def rule_for(command: str) -> Callable[[Demo, str], None] | str:
    text = without_comment(command)
    matching = [action for pattern, action in RULES if pattern.search(text)]
    assert len(matching) == 1, f"{len(matching)} rules for {command!r}: give it exactly one"
    return matching[0]


def test_every_documented_command_has_exactly_one_rule() -> None:
    commands = documented_commands()
    assert len(commands) > 40, "the documents' commands were not found"
    for documented in commands:
        rule_for(documented.command)
    skipped = {
        without_comment(d.command): rule_for(d.command)
        for d in commands
        if isinstance(rule_for(d.command), str)
    }
    print("Not run here:", *(f"{c}: {why}" for c, why in skipped.items()), sep="\n  ")


# --- The clone ----------------------------------------------------------------------------


def new_shell_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in NOT_IN_A_NEW_SHELL}


def fresh_clone(workdir: Path) -> Path:
    clone = workdir / "clone"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True, timeout=120)
    changes = subprocess.run(
        ["git", "diff", "HEAD", "--binary"], cwd=ROOT, capture_output=True, check=True
    ).stdout
    if changes:
        subprocess.run(["git", "apply"], cwd=clone, input=changes, check=True, timeout=60)
    venv = clone / ".venv"
    venv.mkdir()
    for part in (ROOT / ".venv").iterdir():
        if part.name != ".installed":
            (venv / part.name).symlink_to(part)
    (venv / ".installed").touch()
    return clone


@contextlib.contextmanager
def running(argv: list[str], demo: Demo, log_name: str, env: dict[str, str]) -> Iterator[None]:
    """`argv` in the clone, in a process group of its own, stopped (SIGTERM) at the end."""
    with (demo.clone.parent / log_name).open("wb") as log:
        process = subprocess.Popen(
            argv,
            cwd=demo.clone,
            env={**demo.env, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            yield
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


@pytest.fixture(scope="module")
def demo(redis_server: RedisServer) -> Iterator[Demo]:
    # Not under pytest's own temporary directory, which other pytest runs on this machine
    # may clean up while this one is still using it.
    workdir = Path(tempfile.mkdtemp(prefix="docs-commands-"))
    try:
        started = Demo(fresh_clone(workdir), free_port(), new_shell_env(), redis_server.fresh())
        argv = ["make", "demo", "HOST=127.0.0.1", f"PORT={started.port}"]
        with running(argv, started, "demo.log", {}):
            wait_for_port(started.port, timeout=180)
            yield started
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def test_make_demo_writes_a_env_once_with_a_secret_key_of_its_own(demo: Demo) -> None:
    written = (demo.clone / ".env").read_text()
    assert re.search(r"^DEBUG=1$", written, re.M)
    key = re.search(r"^SECRET_KEY=(\S+)$", written, re.M)
    assert key and len(key.group(1)) >= 60
    assert "insecure" not in key.group(1)
    assert (demo.clone / ".env").stat().st_mode & 0o077 == 0  # only its owner reads it
    demo.run("make .env")
    assert (demo.clone / ".env").read_text() == written  # never rewritten
    assert ".env" in (demo.clone / ".gitignore").read_text().splitlines()
    assert demo.run("git status --porcelain --ignored .env").startswith("!! .env")
    served = (demo.clone.parent / "demo.log").read_text()
    assert "Admin login:     admin / " in served and "TV view:" in served


def test_every_documented_command_works_as_typed(demo: Demo) -> None:
    skipped = []
    for documented in documented_commands():
        action = rule_for(documented.command)
        if isinstance(action, str):
            skipped.append(documented.command)
            continue
        action(demo, documented.command)
    assert any("api_token" in c for c in demo.ran) and any("curl" in c for c in demo.ran)
    print(f"ran {len(demo.ran)} commands; not run here: {len(skipped)}")


def test_the_clones_own_tests_ignore_its_demo_env(demo: Demo) -> None:
    # The demo's .env (DEBUG=1 and a SECRET_KEY) is there; the suite must not read it.
    demo.run(
        ".venv/bin/pytest tests/integration/test_settings.py -q -p no:randomly -p no:cacheprovider "
        '-k "secret_key_is_required or tests_read_no_env_file"'
    )
    # Outside the tests, a command reads it.
    debug = ".venv/bin/python manage.py shell -v 0 -c 'from django.conf import settings; "
    assert demo.run(debug + "print(settings.DEBUG)'").strip() == "True"
