"""The Connect APIs the product calls, and each one's quota: the one place they are declared.

Amazon Connect throttles each API separately, per AWS account and Region, shared by
every caller and every instance of the account. The governor (connectmetrics/client/governor.py)
keeps one token bucket per account, Region and API with the rate and burst below
(AWS Service Quotas' defaults; docs/connect-api.md). Where AWS lists a rate but no
burst, the burst is the rate: at most one second's worth at once.

GetCurrentMetricData's quota is the one accounts most often have raised, so
settings.CONNECT_RATE_PER_SECOND and CONNECT_RATE_BURST set it (default 5/s, burst 8).
"""

from dataclasses import dataclass

from django.conf import settings

GET_CURRENT_METRIC_DATA = "GetCurrentMetricData"
GET_CURRENT_USER_DATA = "GetCurrentUserData"
GET_METRIC_DATA_V2 = "GetMetricDataV2"
LIST_QUEUES = "ListQueues"
LIST_ROUTING_PROFILES = "ListRoutingProfiles"
SEARCH_USERS = "SearchUsers"
LIST_USERS = "ListUsers"
LIST_AGENT_STATUSES = "ListAgentStatuses"
LIST_USER_HIERARCHY_GROUPS = "ListUserHierarchyGroups"


@dataclass(frozen=True)
class Quota:
    rate: float  # requests per second
    burst: int  # requests at once, from a full bucket


QUOTAS: dict[str, Quota] = {
    GET_CURRENT_METRIC_DATA: Quota(rate=5, burst=8),
    GET_CURRENT_USER_DATA: Quota(rate=2, burst=5),
    GET_METRIC_DATA_V2: Quota(rate=10, burst=10),
    LIST_QUEUES: Quota(rate=10, burst=10),
    LIST_ROUTING_PROFILES: Quota(rate=10, burst=10),
    # The agent grid's names (connectmetrics/agents/directory.py).
    SEARCH_USERS: Quota(rate=2, burst=2),
    LIST_USERS: Quota(rate=10, burst=10),
    LIST_AGENT_STATUSES: Quota(rate=10, burst=10),
    LIST_USER_HIERARCHY_GROUPS: Quota(rate=10, burst=10),
}


def quota_of(api: str) -> Quota:
    """The quota of one Connect API (KeyError naming it when none is declared)."""
    if api == GET_CURRENT_METRIC_DATA:
        return Quota(rate=settings.CONNECT_RATE_PER_SECOND, burst=settings.CONNECT_RATE_BURST)
    quota = QUOTAS.get(api)
    if quota is None:
        raise KeyError(
            f"no quota declared for the Connect API {api!r} (connectmetrics/client/quotas.py)"
        )
    return quota
