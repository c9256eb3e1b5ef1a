"""The admin of agent sources: the instance's agents and hierarchy groups offered by
name, and each request rule's error on the field it concerns, never a 500."""

import pytest
from django.test import Client

from connectmetrics.agents.admin import AgentSourceForm
from connectmetrics.agents.models import Agent, AgentSource, HierarchyGroup, Resource
from connectmetrics.models import ConnectInstance
from tests.agents_support import agent_centre

pytest_plugins = ["tests.polling_support"]

pytestmark = pytest.mark.django_db


@pytest.fixture
def centre(embedded_mode: None) -> ConnectInstance:
    return agent_centre(agents=120)


def form_for(centre: ConnectInstance, **data: object) -> AgentSourceForm:
    source = AgentSource.objects.get_or_create(name="Existing", instance=centre)[0]
    fields = {
        "name": "Floor",
        "instance": str(centre.pk),
        "enabled": "on",
        "resource": Resource.QUEUES,
        "after_contact_work_warning": "120",
        "after_contact_work_critical": "300",
        "on_hold_warning": "180",
        "on_hold_critical": "300",
        "custom_status_warning": "900",
        "custom_status_critical": "1800",
        **data,
    }
    return AgentSourceForm(data=fields, instance=source)


def test_each_broken_rule_is_an_error_on_its_field(centre: ConnectInstance) -> None:
    no_queue = form_for(centre)
    assert not no_queue.is_valid()
    assert "Filters.Queues" in " ".join(no_queue.errors["queues"])

    no_group = form_for(centre, resource=Resource.HIERARCHY_GROUP)
    assert not no_group.is_valid() and "hierarchy_group_id" in no_group.errors

    agents = list(Agent.objects.filter(instance=centre).values_list("user_id", flat=True))
    many = form_for(centre, resource=Resource.AGENTS, agent_ids=agents)
    assert many.is_valid(), many.errors  # 120 agents: asked in two batches

    thresholds = form_for(
        centre,
        resource=Resource.AGENTS,
        agent_ids=agents[:3],
        on_hold_warning="400",
    )
    assert not thresholds.is_valid() and "on_hold_critical" in thresholds.errors


def test_agents_and_groups_are_offered_by_name(centre: ConnectInstance) -> None:
    form = form_for(centre)
    groups = dict(form.fields["hierarchy_group_id"].choices)  # type: ignore[attr-defined]
    team = HierarchyGroup.objects.filter(instance=centre).first()
    assert team is not None and groups[team.group_id] == team.name
    agent = Agent.objects.filter(instance=centre).first()
    assert agent is not None
    offered = dict(form.fields["agent_ids"].choices)  # type: ignore[attr-defined]
    assert offered[agent.user_id].startswith(agent.full_name)


def test_the_admin_pages_answer(centre: ConnectInstance, admin_client: Client) -> None:
    source = AgentSource.objects.create(name="Floor", instance=centre)
    assert admin_client.get("/admin/agents/agentsource/").status_code == 200
    assert admin_client.get(f"/admin/agents/agentsource/{source.pk}/change/").status_code == 200
    refused = admin_client.post(
        f"/admin/agents/agentsource/{source.pk}/change/",
        {"name": "Floor", "instance": centre.pk, "resource": Resource.HIERARCHY_GROUP},
    )
    assert refused.status_code == 200 and b"errorlist" in refused.content
