"""Three wallboards of one queue filter: sales (in whose rotation billing is), billing and
night; a supervisor who may view sales (a viewer) and billing (through a group), signed in."""

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from connectmetrics.connectapi.catalogue import SIMULATED_INSTANCE_ID
from connectmetrics.models import AccessMode, ConnectInstance, QueueFilter
from dashboard.models import Wallboard


@pytest.fixture
def queue_filter(db: None) -> QueueFilter:
    instance = ConnectInstance.objects.create(
        name="Demo centre", instance_id=SIMULATED_INSTANCE_ID, access_mode=AccessMode.SIMULATED
    )
    return QueueFilter.objects.create(name="All queues", instance=instance)


@pytest.fixture
def boards(queue_filter: QueueFilter) -> dict[str, Wallboard]:
    made = {
        slug: Wallboard.objects.create(slug=slug, title=title)
        for slug, title in (("sales", "Sales floor"), ("billing", "Billing"), ("night", "Night"))
    }
    for wallboard in made.values():
        wallboard.add_panel(queue_filter)
    made["sales"].rotation.add(made["billing"])
    return made


@pytest.fixture
def supervisor(db: None, boards: dict[str, Wallboard]) -> User:
    user = User.objects.create_user("sam", password="a-long-password-1")
    boards["sales"].viewers.add(user)
    team = Group.objects.create(name="Billing team")
    team.user_set.add(user)
    boards["billing"].viewer_groups.add(team)
    return user


@pytest.fixture
def signed_in(supervisor: User) -> Client:
    client = Client()
    client.force_login(supervisor)
    return client
