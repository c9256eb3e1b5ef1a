"""The admin of agent sources and of the names they are shown with.

An agent source's form offers the instance's hierarchy groups and agents by name
(the directory, directory.py) and checks the request with the same rules as the
poller and the simulated centre (rules.py), each error on its field.
"""

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from connectmetrics.admin import LIST_STATUS_FIELDS, STATUS_FIELDS, PollerStatusAdmin
from connectmetrics.agents import directory, rules
from connectmetrics.agents.models import (
    Agent,
    AgentSource,
    AgentStatus,
    Directory,
    HierarchyGroup,
    Resource,
)
from connectmetrics.poller.poller_status import source_status

# Each resource filter, and the form field that holds its IDs.
RESOURCE_FIELDS = {
    Resource.QUEUES: "queues",
    Resource.ROUTING_PROFILES: "routing_profiles",
    Resource.HIERARCHY_GROUP: "hierarchy_group_id",
    Resource.AGENTS: "agent_ids",
}


class AgentSourceForm(forms.ModelForm):
    hierarchy_group_id = forms.ChoiceField(label="Hierarchy group", required=False)
    agent_ids = forms.MultipleChoiceField(
        label="Agents", required=False, widget=forms.SelectMultiple(attrs={"size": 12})
    )
    contact_states = forms.MultipleChoiceField(
        choices=[(state, state) for state in rules.CONTACT_STATES],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Only agents with a contact in one of these states; none: every agent.",
    )

    class Meta:
        model = AgentSource
        fields = [
            "name",
            "instance",
            "enabled",
            "resource",
            "queues",
            "routing_profiles",
            "hierarchy_group_id",
            "agent_ids",
            "contact_states",
            "show_offline",
            "after_contact_work_warning",
            "after_contact_work_critical",
            "on_hold_warning",
            "on_hold_critical",
            "custom_status_warning",
            "custom_status_critical",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        instance_id = self.instance.instance_id if self.instance.pk else None
        groups = HierarchyGroup.objects.filter(instance_id=instance_id)
        agents = Agent.objects.filter(instance_id=instance_id)
        group_field = self.fields["hierarchy_group_id"]
        agent_field = self.fields["agent_ids"]
        assert isinstance(group_field, forms.ChoiceField)
        assert isinstance(agent_field, forms.MultipleChoiceField)
        group_field.choices = [("", "---------"), *((g.group_id, g.name) for g in groups)]
        agent_field.choices = [(a.user_id, f"{a.full_name} ({a.username})") for a in agents]
        agent_field.help_text = (
            "The instance's agents by name, as last read from Amazon Connect (save the "
            "source once to offer its instance's agents and groups)."
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        resource = data.get("resource")
        if resource not in RESOURCE_FIELDS:
            return data
        # The other resource filters are left empty: one filter per source.
        field = RESOURCE_FIELDS[Resource(resource)]
        chosen = data.get(field)
        if field == "queues":
            ids = [q.queue_id for q in chosen or []]
        elif field == "routing_profiles":
            ids = [p.routing_profile_id for p in chosen or []]
        elif field == "hierarchy_group_id":
            ids = [chosen] if chosen else []
        else:
            ids = list(chosen or [])
        request = rules.build_request(resource, ids, list(data.get("contact_states") or []))
        for violation in rules.check_request(request):
            self.add_error(violation.field or field, violation.message)
        return data


@admin.register(AgentSource)
class AgentSourceAdmin(PollerStatusAdmin):
    form = AgentSourceForm
    list_display = ["name", "instance", "resource", "enabled", *LIST_STATUS_FIELDS]
    list_filter = ["instance", "enabled", "resource"]
    list_select_related = ["instance"]
    search_fields = ["name", "instance__name"]
    filter_horizontal = ["queues", "routing_profiles"]
    readonly_fields = STATUS_FIELDS
    actions = ["poll_source_now", "refresh_names"]
    fieldsets = [
        (None, {"fields": ["name", "instance", "enabled"]}),
        (
            "Which agents",
            {
                "fields": [
                    "resource",
                    "queues",
                    "routing_profiles",
                    "hierarchy_group_id",
                    "agent_ids",
                    "contact_states",
                    "show_offline",
                ],
                "description": "One resource filter: only the field the choice above names "
                "is used. More than 100 queues, profiles or agents are asked in batches of 100.",
            },
        ),
        (
            "Thresholds (seconds in an activity)",
            {
                "fields": [
                    ("after_contact_work_warning", "after_contact_work_critical"),
                    ("on_hold_warning", "on_hold_critical"),
                    ("custom_status_warning", "custom_status_critical"),
                ]
            },
        ),
        ("Status", {"fields": tuple(STATUS_FIELDS)}),
    ]

    build_status = staticmethod(source_status)

    @admin.action(description="Poll now", permissions=["change"])
    def poll_source_now(self, request: HttpRequest, queryset: QuerySet[AgentSource]) -> None:
        self._poll_now(request, queryset.order_by("pk"))

    @admin.action(description="Read agents' names again now", permissions=["change"])
    def refresh_names(self, request: HttpRequest, queryset: QuerySet[AgentSource]) -> None:
        for source in queryset.select_related("instance"):
            Directory.objects.filter(instance=source.instance).update(refreshed_at=None)
        self.message_user(request, f"Names read for {directory.refresh_due()} instance(s).")


@admin.register(Agent)
class AgentAdmin(admin.ModelAdmin):
    list_display = ["full_name", "username", "instance", "user_id"]
    list_filter = ["instance"]
    search_fields = ["first_name", "last_name", "username", "user_id"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # read from Amazon Connect


@admin.register(AgentStatus)
class AgentStatusAdmin(admin.ModelAdmin):
    list_display = ["name", "status_type", "instance"]
    list_filter = ["instance", "status_type"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(HierarchyGroup)
class HierarchyGroupAdmin(admin.ModelAdmin):
    list_display = ["name", "instance", "group_id"]
    list_filter = ["instance"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
