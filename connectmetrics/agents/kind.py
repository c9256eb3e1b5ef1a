"""The agent source as a kind of source: what the poller asks of it, answered here.

Polled on the shared schedule (the instance's poll interval), within
GetCurrentUserData's own quota; its messages are `agent_snapshot` and
`agent_update` (cards.py), published to the screens of its panels through
connectmetrics/poller/screens.py.
"""

from collections.abc import Mapping
from datetime import datetime
from typing import Any, cast

from connectmetrics.agents import cards, rules
from connectmetrics.agents.fetch import UserDataFetched, fetch_user_data
from connectmetrics.agents.models import AgentSource
from connectmetrics.api.records import keep_while_wanted
from connectmetrics.api.wire import wire
from connectmetrics.client.outcomes import refuse
from connectmetrics.client.quotas import GET_CURRENT_USER_DATA
from connectmetrics.models import ConnectInstance
from connectmetrics.poller.readings import readings_store
from connectmetrics.sources import kind
from connectmetrics.sources.base import BuiltMessages, BuiltMessagesKind, PolledModelSource
from connectmetrics.sources.trends import trend_bucket
from connectmetrics.wire import socket_messages


class AgentSourceSource(
    PolledModelSource[cards.AgentsBody],
    BuiltMessages,
    body=cards.AgentsBody,
    messages=cards,
    snapshot=socket_messages.AgentSnapshot,
):
    """One agent source, loaded for one poll."""

    instance: ConnectInstance

    def __init__(self, source: AgentSource) -> None:
        super().__init__(source, name=source.name, instance=source.instance)
        self.source = source

    def request(self) -> dict[str, Any]:
        return self.source.to_request()

    def check(self, request: Mapping[str, Any]) -> None:
        refuse(rules.check_request(request))

    def fetch(self, request: Mapping[str, Any]) -> UserDataFetched:
        return fetch_user_data(self.instance, request)

    def learn(
        self, request: Mapping[str, Any], fetched: kind.Fetched, fetched_at: datetime
    ) -> None:
        """Keep the poll's UserData for the endpoints (connectmetrics/agents/cover.py) while
        tools ask for user data of the instance.

        The cache only saves quota: when Redis refuses, the poll itself must not fail."""
        rows = cast(UserDataFetched, fetched).rows
        keep_while_wanted(
            self.instance,
            GET_CURRENT_USER_DATA,
            self.key,
            lambda: [wire(r) for r in rows],
            fetched_at,
        )

    def _previous_cards(self, fetched_at: datetime) -> dict[str, socket_messages.AgentCard]:
        text = readings_store().last_good(self.key)
        last_good = self.decode_body(text) if text is not None else None
        return cards.previous_cards(last_good, fetched_at, self.instance.poll_interval)

    def reading(self, fetched: kind.Fetched, fetched_at: datetime) -> kind.Reading:
        result = cast(UserDataFetched, fetched)
        agent_cards = cards.build_cards(
            result.rows,
            cards.names_of(self.instance),
            self._previous_cards(fetched_at),
            fetched_at,
            show_offline=self.source.show_offline,
            members=self.source.directory_members() if self.source.show_offline else (),
        )
        body = cards.ok_body(
            agent_cards,
            fetched_at=fetched_at,
            poll_interval=self.instance.poll_interval,
            thresholds=cards.thresholds_of(self.source),
        )
        return kind.Reading(body, trend_bucket(fetched_at))

    def failed_body(self, last_good: kind.Body | None, reason: str) -> cards.AgentsBody:
        return cards.failed_body(
            cast(cards.AgentsBody | None, last_good),
            reason=reason,
            poll_interval=self.instance.poll_interval,
            thresholds=cards.thresholds_of(self.source),
        )


class AgentSourceKind(BuiltMessagesKind[AgentSourceSource]):
    api = GET_CURRENT_USER_DATA

    def __init__(self) -> None:
        super().__init__(AgentSource, AgentSourceSource)


AGENT_SOURCES = AgentSourceKind()
