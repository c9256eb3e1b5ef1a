"""The names an agent grid shows, kept in the database and refreshed on their own
schedule: SearchUsers (first and last names, routing profile, hierarchy group),
ListAgentStatuses (name and type) and ListUserHierarchyGroups.

GetCurrentUserData names nothing, and the name calls have quotas of their own
(SearchUsers 2 requests/s): a poll never calls them. Celery beat runs
`refresh_due` every minute (connectmetrics/poller/tasks.py `run_chore_task`), embedded
mode on its loop (connectmetrics/poller/embedded.py); each instance with an enabled agent
source is refreshed when its names are older than settings.AGENT_NAMES_REFRESH_SECONDS.
"""

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from connectmetrics.agents.models import Agent, AgentStatus, Directory, HierarchyGroup
from connectmetrics.client.client import client_for
from connectmetrics.client.outcomes import UpstreamError, classify
from connectmetrics.models import ConnectInstance

log = logging.getLogger(__name__)

SEARCH_PAGE = 500  # SearchUsers' most per page


def _users(instance: ConnectInstance) -> list[dict[str, Any]]:
    client = client_for(instance)
    params: dict[str, Any] = {"InstanceId": instance.instance_id, "MaxResults": SEARCH_PAGE}
    users: list[dict[str, Any]] = []
    while True:
        answer = client.search_users(**params)
        users += [dict(user) for user in answer.get("Users", [])]
        token = answer.get("NextToken")
        if not token:
            return users
        params["NextToken"] = token


def _paged(instance: ConnectInstance, operation: str, key: str) -> list[dict[str, Any]]:
    paginator = client_for(instance).get_paginator(operation)  # type: ignore[call-overload]
    found: list[dict[str, Any]] = []
    for page in paginator.paginate(InstanceId=instance.instance_id):
        found += page.get(key, [])
    return found


def refresh(instance: ConnectInstance) -> None:
    """Read the instance's names afresh (raises UpstreamError) and keep them."""
    try:
        users = _users(instance)
        statuses = _paged(instance, "list_agent_statuses", "AgentStatusSummaryList")
        groups = _paged(instance, "list_user_hierarchy_groups", "UserHierarchyGroupSummaryList")
    except UpstreamError:
        raise
    except Exception as error:
        raise classify(error) from error
    with transaction.atomic():
        Agent.objects.filter(instance=instance).delete()
        Agent.objects.bulk_create(
            Agent(
                instance=instance,
                user_id=user["Id"],
                arn=user.get("Arn", ""),
                username=user.get("Username", ""),
                first_name=(user.get("IdentityInfo") or {}).get("FirstName", ""),
                last_name=(user.get("IdentityInfo") or {}).get("LastName", ""),
                routing_profile_id=user.get("RoutingProfileId", ""),
                hierarchy_group_id=user.get("HierarchyGroupId", ""),
            )
            for user in users
        )
        AgentStatus.objects.filter(instance=instance).delete()
        AgentStatus.objects.bulk_create(
            AgentStatus(
                instance=instance,
                status_id=status["Id"],
                arn=status["Arn"],
                name=status.get("Name", ""),
                status_type=status.get("Type", ""),
            )
            for status in statuses
        )
        HierarchyGroup.objects.filter(instance=instance).delete()
        HierarchyGroup.objects.bulk_create(
            HierarchyGroup(
                instance=instance,
                group_id=group["Id"],
                arn=group.get("Arn", ""),
                name=group.get("Name", ""),
            )
            for group in groups
        )
        Directory.objects.update_or_create(
            instance=instance,
            defaults={"refreshed_at": timezone.now(), "last_error_message": ""},
        )


def due() -> list[ConnectInstance]:
    """The instances whose agent sources need their names read (again)."""
    older = timezone.now() - timedelta(seconds=settings.AGENT_NAMES_REFRESH_SECONDS)
    return list(
        ConnectInstance.objects.filter(enabled=True, agent_sources__enabled=True)
        .filter(
            Q(agent_directory__isnull=True)
            | Q(agent_directory__refreshed_at__isnull=True)
            | Q(agent_directory__refreshed_at__lt=older)
        )
        .distinct()
    )


def refresh_due() -> int:
    """Refresh every instance that is due; the number refreshed. A failure is noted
    on the instance's directory (tried again after the same wait), never raised."""
    done = 0
    for instance in due():
        try:
            refresh(instance)
        except UpstreamError as error:
            log.warning("cannot refresh the agents' names of %s: %s", instance, error)
            Directory.objects.update_or_create(
                instance=instance,
                defaults={"refreshed_at": timezone.now(), "last_error_message": str(error)},
            )
            continue
        done += 1
    return done
