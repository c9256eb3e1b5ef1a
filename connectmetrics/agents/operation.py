"""GetCurrentUserData as the endpoints answer it (connectmetrics/api/records.py).

Its rules are the simulated centre's (connectmetrics/simulator/userdata.py `parse`),
which the agent source's rules reuse too; its upstream fetch is the agent source's
(connectmetrics/agents/fetch.py: every page of every batch, each agent once).
"""

from typing import Any

from connectmetrics.agents.fetch import fetch_user_data
from connectmetrics.agents.rules import BATCH
from connectmetrics.api.records import Asked, without_paging
from connectmetrics.api.wire import wire
from connectmetrics.client.quotas import GET_CURRENT_USER_DATA
from connectmetrics.models import ConnectInstance
from connectmetrics.simulator import userdata


class UserDataOperation:
    name = GET_CURRENT_USER_DATA
    results = "UserDataList"
    counted = True

    def ask(self, instance: ConnectInstance, body: Any) -> Asked:
        parsed = userdata.parse(body)
        return Asked(
            operation=self.name,
            key=parsed.key,
            request=without_paging(body),
            parsed=parsed,
            size=parsed.size,
            next_token=body.get("NextToken"),
        )

    def fetch(self, instance: ConnectInstance, asked: Asked) -> list[dict[str, Any]]:
        fetched = fetch_user_data(instance, {**asked.request, "MaxResults": BATCH})
        return [wire(row) for row in fetched.rows]


USER_DATA = UserDataOperation()
