"""Every page of every batch of an agent source's GetCurrentUserData request.

GetCurrentUserData has no paginator: each batch of up to 100 resource IDs is
asked page by page (MaxResults 100) until no NextToken comes back. The client
(connectmetrics/client/client.py) paces every call by GetCurrentUserData's own quota
(connectmetrics/client/quotas.py), so a whole centre's batches never exceed it. An agent
in several batches (in two queues) is kept once.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from connectmetrics.agents import rules
from connectmetrics.client.client import client_for
from connectmetrics.client.outcomes import classify
from connectmetrics.models import ConnectInstance


@dataclass
class UserDataFetched:
    rows: list[dict[str, Any]]  # UserData, each agent once, in the centre's order
    calls: int  # requests sent (pages)


def fetch_user_data(instance: ConnectInstance, request: Mapping[str, Any]) -> UserDataFetched:
    """Raises UpstreamError (connectmetrics/client/outcomes.py) on any failure."""
    client = client_for(instance)
    agents: dict[str, dict[str, Any]] = {}
    calls = 0
    for batch in rules.batches(request):
        params: dict[str, Any] = {**batch, "InstanceId": instance.instance_id}
        while True:
            try:
                answer = client.get_current_user_data(**params)
            except Exception as error:
                raise classify(error) from error
            calls += 1
            for row in answer.get("UserDataList", []):
                agents.setdefault(row["User"]["Id"], dict(row))
            token = answer.get("NextToken")
            if not token:
                break
            params["NextToken"] = token
    return UserDataFetched(list(agents.values()), calls)
