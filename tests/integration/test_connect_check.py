"""`manage.py connect_check <instance>` against the simulated centre and its faults: what is
missing in plain words, the IAM policy that grants it, and an exit code scripts can use."""

import json
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from pytest_django.fixtures import Settings

from connectmetrics.client import client as client_module
from connectmetrics.client.iam import ACTIONS
from connectmetrics.connectapi.catalogue import SIMULATED_INSTANCE_ID
from connectmetrics.models import AccessMode, ConnectInstance
from connectmetrics.simulator import set_faults
from tests.conftest import RedisServer
from tests.processes import ROOT, Stack
from tests.simulated_centre import simulated_instance

pytest_plugins = ["tests.polling_support"]

ARN = f"arn:aws:connect:eu-west-2:123456789012:instance/{SIMULATED_INSTANCE_ID}"


def connect_check(name: str) -> tuple[bool, str]:
    """(passed, what it printed)."""
    out = StringIO()
    try:
        call_command("connect_check", name, stdout=out)
    except CommandError as error:
        assert str(error).endswith(" cannot be polled yet; see above.")
        return False, out.getvalue()
    return True, out.getvalue()


def printed_policy(output: str) -> dict[str, object]:
    policy: dict[str, object] = json.loads(output[output.index("{") : output.rindex("}") + 1])
    return policy


@pytest.fixture
def instance(redis_mode: str, db: None) -> ConnectInstance:
    centre = simulated_instance()
    centre.instance_arn = ARN
    centre.save()
    return centre


def test_all_good_says_ready(instance: ConnectInstance) -> None:
    passed, output = connect_check("Simulated centre")
    assert passed
    assert output.splitlines() == [
        "ok   Region: eu-west-2 has Amazon Connect",
        "ok   Instance and ListQueues: allowed",
        "ok   ListRoutingProfiles: allowed",
        "ok   GetCurrentMetricData: allowed",
        "Simulated centre is ready to be polled.",
    ]


def test_access_denied_names_the_missing_permissions_and_prints_the_policy(
    instance: ConnectInstance, redis_mode: str
) -> None:
    set_faults(redis_mode, SIMULATED_INSTANCE_ID, access_denied=True)
    passed, output = connect_check(SIMULATED_INSTANCE_ID)  # by ID works too
    assert not passed
    assert "FAIL ListRoutingProfiles: denied: connect:ListRoutingProfiles is not allowed" in output
    assert (
        "Missing permissions: connect:ListQueues, connect:ListRoutingProfiles, "
        "connect:GetCurrentMetricData." in output
    )
    assert printed_policy(output) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ConnectWallboard",
                "Effect": "Allow",
                "Action": list(ACTIONS),
                "Resource": [ARN, f"{ARN}/*"],  # this instance, its queues and profiles
            }
        ],
    }


def test_not_found_says_so_and_blames_no_permission(
    instance: ConnectInstance, redis_mode: str
) -> None:
    set_faults(redis_mode, SIMULATED_INSTANCE_ID, not_found=True)
    passed, output = connect_check(ARN)
    assert not passed
    assert "FAIL Instance and ListQueues: The Connect instance was not found" in output
    assert "Missing permissions" not in output and '"Version"' not in output
    assert (
        f"Amazon Connect has no instance {SIMULATED_INSTANCE_ID} in eu-west-2 for these "
        "credentials: check the instance's ID or ARN, its Region, and the AWS account" in output
    )


def test_throttling_is_not_mistaken_for_a_missing_permission(
    instance: ConnectInstance,
    redis_mode: str,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # One attempt per call: botocore's backoff between throttled retries is not the subject.
    settings.CONNECT_MAX_ATTEMPTS = 1
    monkeypatch.setattr(client_module, "_clients", {})
    set_faults(redis_mode, SIMULATED_INSTANCE_ID, throttle=1.0)
    passed, output = connect_check("Simulated centre")
    assert not passed
    assert "FAIL GetCurrentMetricData: Amazon Connect is throttling requests" in output
    assert "Missing permissions" not in output


def test_a_region_without_connect_is_named(db: None) -> None:
    ConnectInstance.objects.create(
        name="Stockholm", region="eu-north-1", instance_id=SIMULATED_INSTANCE_ID
    )
    passed, output = connect_check("Stockholm")
    assert not passed
    assert output.splitlines() == ["FAIL Region: eu-north-1 has no Amazon Connect"]


def test_no_credentials_are_named_without_calling_aws(
    db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    for variable in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
    ):
        monkeypatch.delenv(variable, raising=False)
    # No files, no instance metadata: the default chain finds nothing, offline.
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/config")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    ConnectInstance.objects.create(
        name="Real centre",
        region="eu-west-2",
        instance_id=SIMULATED_INSTANCE_ID,
        access_mode=AccessMode.DEFAULT_CHAIN,
    )
    passed, output = connect_check("Real centre")
    assert not passed
    assert output.splitlines()[1].startswith(
        "FAIL Credentials: no usable AWS credentials: Access to the Connect instance was denied "
        "(NoCredentialsError: Unable to locate credentials)"
    )


@pytest.mark.django_db
def test_an_unknown_instance_is_a_clear_error() -> None:
    with pytest.raises(CommandError, match=r"No Connect instance named 'Nope' is configured\."):
        call_command("connect_check", "Nope")


def test_the_exit_code_tells_a_script(redis_server: RedisServer, tmp_path: Path) -> None:
    redis_server.fresh()
    stack = Stack(tmp_path, redis_url=redis_server.url)
    stack.shell(
        "from django.core.management import call_command\n"
        "from tests.simulated_centre import simulated_instance\n"
        "call_command('migrate', verbosity=0)\n"
        "simulated_instance()\n"
    )

    def run() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "manage.py", "connect_check", "Simulated centre"],
            cwd=ROOT,
            env=stack.env,
            capture_output=True,
            text=True,
            timeout=60,
        )

    ready = run()
    assert ready.returncode == 0, ready.stderr
    set_faults(redis_server.url, SIMULATED_INSTANCE_ID, access_denied=True)
    denied = run()
    assert denied.returncode == 1
    assert "Missing permissions" in denied.stdout
    assert "CommandError: Simulated centre cannot be polled yet; see above." in denied.stderr
