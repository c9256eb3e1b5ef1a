"""The agent source, and the directory of names its cards are labelled with.

GetCurrentUserData names nothing: users, statuses and hierarchy groups come as IDs
and ARNs. Their names are kept here, refreshed from SearchUsers, ListAgentStatuses
and ListUserHierarchyGroups on their own slower schedule (directory.py), never per
poll.
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from connectmetrics.agents import rules
from connectmetrics.models import ConnectInstance, Queue, RoutingProfile
from connectmetrics.sources.polled import PolledSource


class Resource(models.TextChoices):
    QUEUES = rules.QUEUES, "Queues"
    ROUTING_PROFILES = rules.ROUTING_PROFILES, "Routing profiles"
    HIERARCHY_GROUP = rules.HIERARCHY_GROUP, "One hierarchy group"
    AGENTS = rules.AGENTS, "Chosen agents"


def _seconds(default: int) -> "models.PositiveIntegerField[int, int]":
    return models.PositiveIntegerField(
        default=default, validators=[MinValueValidator(1), MaxValueValidator(86_400)]
    )


class AgentSource(PolledSource):
    """One GetCurrentUserData request (in batches of 100) kept live by the poller."""

    name = models.CharField(max_length=100)
    instance = models.ForeignKey(
        ConnectInstance, on_delete=models.CASCADE, related_name="agent_sources"
    )
    resource = models.CharField(
        max_length=32,
        choices=Resource.choices,
        default=Resource.QUEUES,
        help_text="Which agents: those of these queues or routing profiles, of one "
        "hierarchy group (and the groups below it), or chosen by name.",
    )
    queues = models.ManyToManyField(Queue, blank=True, related_name="agent_sources")
    routing_profiles = models.ManyToManyField(
        RoutingProfile, blank=True, related_name="agent_sources"
    )
    hierarchy_group_id = models.CharField("hierarchy group", max_length=100, blank=True)
    agent_ids = models.JSONField("agents", default=list, blank=True)
    contact_states = models.JSONField(
        default=list,
        blank=True,
        help_text="Only agents with a contact in one of these states; none: every agent.",
    )
    show_offline = models.BooleanField(
        default=False,
        help_text="Show agents who are offline (hidden by default): those whose status is "
        "Offline, and those not logged in whom the names read from Connect place in this "
        "source (chosen agents, routing profiles, the hierarchy group's own agents; not "
        "possible for queues or with contact states).",
    )
    after_contact_work_warning = _seconds(120)
    after_contact_work_critical = _seconds(300)
    on_hold_warning = _seconds(180)
    on_hold_critical = _seconds(300)
    custom_status_warning = _seconds(900)
    custom_status_critical = _seconds(1800)

    class Meta:
        ordering = ["instance", "name"]
        constraints = [
            models.UniqueConstraint(fields=["instance", "name"], name="unique_agent_source_name")
        ]

    def __str__(self) -> str:
        return f"{self.instance} / {self.name}"

    SOURCE_KIND = "agent_source"

    def resource_ids(self) -> list[str]:
        if self.resource == Resource.QUEUES:
            return list(self.queues.order_by("name").values_list("queue_id", flat=True))
        if self.resource == Resource.ROUTING_PROFILES:
            return list(
                self.routing_profiles.order_by("name").values_list("routing_profile_id", flat=True)
            )
        if self.resource == Resource.HIERARCHY_GROUP:
            return [self.hierarchy_group_id] if self.hierarchy_group_id else []
        return [str(i) for i in self.agent_ids or []]

    def to_request(self) -> dict[str, Any]:
        """The GetCurrentUserData request (without InstanceId), every resource ID in it."""
        return rules.build_request(
            self.resource, self.resource_ids(), list(self.contact_states or [])
        )

    def directory_members(self) -> "models.QuerySet[Agent]":
        """The instance's agents (the directory, directory.py) this source's filter selects,
        where the directory can tell; GetCurrentUserData lists only those logged in, so
        the others are shown offline. Chosen agents and routing profiles: known (SearchUsers
        gives each user's routing profile). A hierarchy group: its own agents (SearchUsers
        gives each user's group; the groups below it would need each group's path). Queues:
        none (which routing profiles serve a queue is not read). With contact states: none
        (an agent not logged in has no contact)."""
        agents = Agent.objects.filter(instance_id=self.instance_id)
        if self.contact_states:
            return agents.none()
        if self.resource == Resource.AGENTS:
            return agents.filter(user_id__in=self.resource_ids())
        if self.resource == Resource.ROUTING_PROFILES:
            return agents.filter(routing_profile_id__in=self.resource_ids())
        if self.resource == Resource.HIERARCHY_GROUP:
            return agents.filter(hierarchy_group_id__in=self.resource_ids())
        return agents.none()

    def clean(self) -> None:
        pairs = [
            ("after_contact_work_warning", "after_contact_work_critical"),
            ("on_hold_warning", "on_hold_critical"),
            ("custom_status_warning", "custom_status_critical"),
        ]
        for warning, critical in pairs:
            if getattr(self, warning) >= getattr(self, critical):
                raise ValidationError({critical: "Must be longer than the warning time."})


class Directory(models.Model):
    """When an instance's names were last refreshed, and how."""

    instance = models.OneToOneField(
        ConnectInstance, on_delete=models.CASCADE, related_name="agent_directory"
    )
    refreshed_at = models.DateTimeField(null=True, blank=True)
    last_error_message = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"Names of {self.instance}"


class Agent(models.Model):
    """A user of the instance, as SearchUsers describes them."""

    instance = models.ForeignKey(ConnectInstance, on_delete=models.CASCADE, related_name="agents")
    user_id = models.CharField("user ID", max_length=100)
    arn = models.CharField("ARN", max_length=250, blank=True)
    username = models.CharField(max_length=100)
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    routing_profile_id = models.CharField(max_length=100, blank=True)
    hierarchy_group_id = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["instance", "first_name", "last_name", "username"]
        constraints = [
            models.UniqueConstraint(fields=["instance", "user_id"], name="unique_agent_user")
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip() or self.username


class AgentStatus(models.Model):
    """An agent status of the instance (Available, Break, Offline...)."""

    instance = models.ForeignKey(
        ConnectInstance, on_delete=models.CASCADE, related_name="agent_statuses"
    )
    status_id = models.CharField(max_length=100)
    arn = models.CharField("ARN", max_length=250)
    name = models.CharField(max_length=127)
    status_type = models.CharField(max_length=20)  # ROUTABLE, CUSTOM or OFFLINE

    class Meta:
        ordering = ["instance", "name"]
        verbose_name_plural = "agent statuses"
        constraints = [
            models.UniqueConstraint(fields=["instance", "arn"], name="unique_agent_status")
        ]

    def __str__(self) -> str:
        return self.name


class HierarchyGroup(models.Model):
    """A group of the instance's agent hierarchy (a site, a team)."""

    instance = models.ForeignKey(
        ConnectInstance, on_delete=models.CASCADE, related_name="hierarchy_groups"
    )
    group_id = models.CharField(max_length=100)
    arn = models.CharField("ARN", max_length=250, blank=True)
    name = models.CharField(max_length=256)

    class Meta:
        ordering = ["instance", "name"]
        constraints = [
            models.UniqueConstraint(fields=["instance", "group_id"], name="unique_hierarchy_group")
        ]

    def __str__(self) -> str:
        return self.name
