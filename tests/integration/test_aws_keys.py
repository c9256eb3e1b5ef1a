"""AWS access keys for the drop-in endpoint: made once, kept encrypted, scoped, revoked."""

import re

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from pytest_django.fixtures import Settings as SettingsWrapper

from connectmetrics.awsapi.keys import issue_access_key, secret_of
from connectmetrics.models import AwsAccessKey, ConnectInstance
from dashboard.lib.sealed import Unreadable
from tests.api_support import simulated_centre

pytest_plugins = ["tests.api_fixtures"]
pytestmark = pytest.mark.django_db


@pytest.fixture
def centre(api_embedded: None) -> ConnectInstance:
    return simulated_centre()


def test_the_command_prints_two_lines_for_a_shell(
    centre: ConnectInstance, capsys: pytest.CaptureFixture[str]
) -> None:
    call_command("aws_access_key", "BI extract", "--instance", centre.instance_id)
    printed = capsys.readouterr()
    key_line, secret_line = printed.out.splitlines()
    key_id = re.fullmatch(r"AWS_ACCESS_KEY_ID=(CWAK[A-Z2-7]{16})", key_line)
    secret = re.fullmatch(r"AWS_SECRET_ACCESS_KEY=(\S{40})", secret_line)
    assert key_id and secret, printed.out
    key = AwsAccessKey.objects.get(access_key_id=key_id[1])
    assert list(key.instances.all()) == [centre] and not key.all_instances
    assert secret[1] not in key.encrypted_secret and secret_of(key) == secret[1]
    assert secret[1] not in printed.err


def test_the_command_names_an_unknown_instance(centre: ConnectInstance) -> None:
    with pytest.raises(CommandError, match="--instance 'Nowhere'"):
        call_command("aws_access_key", "BI extract", "--instance", "Nowhere")
    assert not AwsAccessKey.objects.exists()


def test_a_secret_needs_the_servers_secret_key(
    centre: ConnectInstance, settings: SettingsWrapper
) -> None:
    key, secret = issue_access_key("Lambda", all_instances=True)
    settings.SECRET_KEY = "another-servers-secret-key"
    with pytest.raises(Unreadable):
        secret_of(key)
    # Rotated as Django documents it, the old key kept as a fallback: still readable.
    settings.SECRET_KEY_FALLBACKS = ["tests-only-secret-key-not-for-production"]
    assert secret_of(key) == secret


def test_the_admin_shows_a_new_key_once_and_revokes_it(
    client: Client, centre: ConnectInstance
) -> None:
    client.force_login(User.objects.create_superuser("admin", password="x"))
    response = client.post(
        "/admin/connectmetrics/awsaccesskey/add/",
        {"name": "Lambda", "instances": [centre.pk]},
        follow=True,
    )
    key = AwsAccessKey.objects.get()
    secret = secret_of(key)
    [shown] = [str(m) for m in response.context["messages"] if secret in str(m)]
    assert f"AWS_ACCESS_KEY_ID={key.access_key_id}" in shown
    change = client.get(f"/admin/connectmetrics/awsaccesskey/{key.pk}/change/").content.decode()
    assert key.access_key_id in change
    assert secret not in change and key.encrypted_secret not in change
    listed = client.get("/admin/connectmetrics/awsaccesskey/").content.decode()
    assert secret not in listed and key.encrypted_secret not in listed
    client.post(
        "/admin/connectmetrics/awsaccesskey/",
        {"action": "revoke", "_selected_action": [key.pk]},
        follow=True,
    )
    key.refresh_from_db()
    assert key.revoked
    assert (
        "Lambda"
        in client.get("/admin/connectmetrics/awsaccesskey/", {"state": "revoked"}).content.decode()
    )


def test_the_admin_refuses_a_key_that_could_read_nothing(
    client: Client, centre: ConnectInstance
) -> None:
    client.force_login(User.objects.create_superuser("admin", password="x"))
    response = client.post("/admin/connectmetrics/awsaccesskey/add/", {"name": "Nothing"})
    assert response.status_code == 200 and "every instance" in response.content.decode()
    assert not AwsAccessKey.objects.exists()


def test_a_key_reads_only_its_instances(centre: ConnectInstance) -> None:
    other = ConnectInstance.objects.create(name="Other", instance_id=centre.instance_id[:-1] + "9")
    scoped, _ = issue_access_key("Scoped", [centre])
    everything, _ = issue_access_key("Everything", all_instances=True)
    assert scoped.may_read(centre) and not scoped.may_read(other)
    assert everything.may_read(other)
