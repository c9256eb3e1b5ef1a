"""The poller is written once for any kind of source.

A second kind, defined here and nowhere in the product (agents on a set of queues,
counted by status from GetCurrentUserData), is polled by the same pipeline as the
queue filter: scheduled with it, locked, rested after failures, within its own API's
quota, stored, given trends, counted, and published, with no change to the pipeline.
"""

import asyncio
import json
import threading
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import msgspec
import pytest
from pytest_django.fixtures import Settings

from connectmetrics.client import telemetry
from connectmetrics.client.client import client_for
from connectmetrics.client.governor import governed_burst, governor
from connectmetrics.client.outcomes import Outcome, UpstreamError, classify
from connectmetrics.client.quotas import GET_CURRENT_METRIC_DATA, GET_CURRENT_USER_DATA
from connectmetrics.models import ConnectInstance, QueueFilter
from connectmetrics.poller import screens, tasks
from connectmetrics.poller.backoff import backoff_state
from connectmetrics.poller.embedded import EmbeddedPoller
from connectmetrics.poller.locks import poll_lock
from connectmetrics.poller.polling import Step, poll_source
from connectmetrics.poller.readings import readings_store
from connectmetrics.poller.schedule import claim_due_polls, slot_claims
from connectmetrics.poller.screens import ScreenPublisher
from connectmetrics.simulator import call_counts, set_faults
from connectmetrics.sources.key import SourceKey
from connectmetrics.sources.kind import Reading
from connectmetrics.sources.registry import registered
from connectmetrics.sources.trends import trend_bucket
from connectmetrics.wire.message_builder import iso
from tests.simulated_centre import demo_filter, simulated_instance

pytest_plugins = ["tests.polling_support"]

pytestmark = pytest.mark.django_db

KIND = "agents_on_queues"


class AgentsBody(msgspec.Struct):
    status: str
    reason: str
    fetched_at: str | None
    agents: dict[str, int]  # agents by status name

    def shown_at(self) -> str | None:
        return self.fetched_at


@dataclass
class AgentsFetched:
    rows: list[dict[str, Any]]
    calls: int


@dataclass
class Setting:
    """A source of this kind, as its model would hold it."""

    instance_pk: int
    queue_ids: list[str]
    name: str = "Agents"
    enabled: bool = True
    last_polled_at: datetime | None = None
    last_error: str = ""


class AgentsSource:
    def __init__(self, key: SourceKey, setting: Setting) -> None:
        self.key = key
        self.setting = setting
        self.name = setting.name
        self.instance = ConnectInstance.objects.get(pk=setting.instance_pk)
        self.enabled = setting.enabled and self.instance.enabled

    def request(self) -> dict[str, Any]:
        return {"Filters": {"Queues": self.setting.queue_ids}, "MaxResults": 100}

    def check(self, request: Mapping[str, Any]) -> None:
        if not request["Filters"]["Queues"]:
            raise UpstreamError(Outcome.INVALID_REQUEST, "InvalidRequest", "Queues: at least one")

    def fetch(self, request: Mapping[str, Any]) -> AgentsFetched:
        client = client_for(self.instance)
        params = {**request, "InstanceId": self.instance.instance_id}
        rows: list[dict[str, Any]] = []
        calls = 0
        while True:
            try:
                answer = client.get_current_user_data(**params)
            except Exception as error:
                raise classify(error) from error
            calls += 1
            rows += answer["UserDataList"]
            if not answer.get("NextToken"):
                return AgentsFetched(rows, calls)
            params["NextToken"] = answer["NextToken"]

    def learn(self, request: Mapping[str, Any], fetched: Any, fetched_at: datetime) -> None:
        """This kind has no endpoint to feed."""

    def record(self, polled_at: datetime, *, error: str = "") -> None:
        self.setting.last_polled_at, self.setting.last_error = polled_at, error

    def reading(self, fetched: Any, fetched_at: datetime) -> Reading:
        agents = Counter(row["Status"]["StatusName"] for row in fetched.rows)
        body = AgentsBody("ok", "", iso(fetched_at), dict(agents))
        bucket = trend_bucket(fetched_at)
        points = {"ALL": {"AGENTS": (bucket, sum(agents.values()))}}
        return Reading(body, bucket, points)

    def failed_body(self, last_good: Any, reason: str) -> AgentsBody:
        if last_good is None:
            return AgentsBody("error", reason, None, {})
        return msgspec.structs.replace(last_good, status="stale", reason=reason)

    def encode_body(self, body: Any) -> str:
        return msgspec.json.encode(body).decode()

    def decode_body(self, text: str | bytes) -> AgentsBody:
        return msgspec.json.decode(text, type=AgentsBody)

    def snapshot_text(
        self, *, seq: int, body: Any, published_at: datetime, build: str, trends: Any
    ) -> str:
        message = {"type": "snapshot", "source": str(self.key), "seq": seq, "trends": trends}
        return json.dumps({**message, "body": msgspec.to_builtins(body)})

    def update_text(
        self,
        base_text: str,
        *,
        seq: int,
        body: Any,
        published_at: datetime,
        build: str,
        bucket: int | None,
    ) -> str:
        base = json.loads(base_text)["seq"]
        message = {"type": "update", "source": str(self.key), "seq": seq, "base": base}
        return json.dumps({**message, "body": msgspec.to_builtins(body), "bucket": bucket})


@dataclass
class AgentsKind:
    """The kind: its sources in a dict. What the poller sends to its screens is kept in a
    list (`Screens`)."""

    name: str = KIND
    api: str = GET_CURRENT_USER_DATA
    settings: dict[int, Setting] = field(default_factory=dict)
    published: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    publish_threads: set[int] = field(default_factory=set)

    def pollable(self) -> list[tuple[int, int]]:
        intervals = dict(ConnectInstance.objects.values_list("pk", "poll_interval"))
        return [
            (source_id, intervals[s.instance_pk])
            for source_id, s in self.settings.items()
            if s.enabled
        ]

    def load(self, source_id: int) -> AgentsSource | None:
        setting = self.settings.get(source_id)
        return AgentsSource(SourceKey(KIND, source_id), setting) if setting else None

    def waiting_text(self, source_id: int, published_at: datetime, build: str) -> str:
        return json.dumps({"type": "snapshot", "source": f"{KIND}:{source_id}", "seq": 0})


@dataclass
class Screens:
    """The screen publisher the poller sends every kind's updates to
    (connectmetrics/poller/screens.py): the agents' kept by their kind, the others passed on
    to the app's."""

    kind: AgentsKind
    app: ScreenPublisher

    def publish(self, source: SourceKey, text: str) -> None:
        if source.kind == KIND:
            self.kind.published.append((source.id, json.loads(text)))
        else:
            self.app.publish(source, text)

    async def apublish(self, source: SourceKey, text: str) -> None:
        if source.kind == KIND:
            self.kind.publish_threads.add(threading.get_ident())
            self.kind.published.append((source.id, json.loads(text)))
        else:
            await self.app.apublish(source, text)


@pytest.fixture
def agents_kind() -> Iterator[AgentsKind]:
    with registered(AgentsKind()) as kind:
        assert isinstance(kind, AgentsKind)
        app = screens.publisher()
        screens.plug_in(Screens(kind, app))
        try:
            yield kind
        finally:
            screens.plug_in(app)


@pytest.fixture
def queue_filter(redis_mode: str) -> QueueFilter:
    return demo_filter(simulated_instance())


@pytest.fixture
def agents(agents_kind: AgentsKind, queue_filter: QueueFilter) -> SourceKey:
    """An agents source with the same ID as the queue filter: another source all the same."""
    queue_ids = list(queue_filter.queues.values_list("queue_id", flat=True)[:5])
    agents_kind.settings[queue_filter.pk] = Setting(queue_filter.instance_id, queue_ids)
    return SourceKey(KIND, queue_filter.pk)


def user_data_calls(redis_url: str, instance: ConnectInstance) -> int:
    return call_counts(redis_url, instance.instance_id).get(GET_CURRENT_USER_DATA, 0)


def test_both_kinds_are_scheduled_and_polled_by_the_same_task(
    queue_filter: QueueFilter, agents: SourceKey, agents_kind: AgentsKind, redis_mode: str
) -> None:
    claims = slot_claims()
    moment = claims.now()
    due = claim_due_polls(claims, now=moment)
    assert {poll.source for poll in due} == {queue_filter.source_key, agents}
    for poll in due:
        assert tasks.poll_source_task.run(poll.source.kind, poll.source.id) == Step.OK
    # The agents' update went to the agents' screens, numbered, with what they do.
    ((source_id, update),) = agents_kind.published
    assert (source_id, update["type"], update["source"]) == (agents.id, "update", str(agents))
    assert update["body"]["status"] == "ok" and sum(update["body"]["agents"].values()) > 0
    assert user_data_calls(redis_mode, queue_filter.instance) >= 1
    # Each kept its own snapshot, under its own key.
    kept = json.loads(readings_store().latest_text(agents))
    assert (kept["source"], kept["seq"]) == (str(agents), update["seq"])
    assert json.loads(readings_store().latest_text(queue_filter.source_key))["queue_filter"] == (
        queue_filter.pk
    )
    # A claimed slot is not claimed twice.
    assert claim_due_polls(claims, now=moment) == []


def test_a_second_poll_updates_from_the_first_and_adds_a_trend_point(
    agents: SourceKey, agents_kind: AgentsKind
) -> None:
    first = poll_source(agents)
    second = poll_source(agents)
    assert first.step is second.step is Step.OK
    assert first.seq is not None and second.seq is not None and second.seq > first.seq
    update = agents_kind.published[-1][1]
    assert update["base"] == first.seq
    trends = json.loads(readings_store().latest_text(agents))["trends"]
    assert trends["ALL"]["AGENTS"][-1][0] == update["bucket"]


def test_each_kind_spends_its_own_apis_quota(
    queue_filter: QueueFilter, agents: SourceKey, settings: Settings
) -> None:
    settings.CONNECT_RATE_BURST = 2  # one turn for GetCurrentMetricData
    quota = governor()
    key = queue_filter.instance.quota_key
    assert poll_source(queue_filter.source_key).step is Step.OK
    # GetCurrentMetricData's quota spent, seconds ahead (a poll takes a while: its own
    # token alone could have come back by the next one).
    for _ in range(10):
        quota.reserve(key, GET_CURRENT_METRIC_DATA)
    assert poll_source(queue_filter.source_key).step is Step.DEFERRED
    # ...while GetCurrentUserData's is whole.
    assert poll_source(agents).step is Step.OK
    for _ in range(governed_burst(GET_CURRENT_USER_DATA)):
        quota.reserve(key, GET_CURRENT_USER_DATA)
    deferred = poll_source(agents)
    assert deferred.step is Step.DEFERRED and deferred.turn_in is not None
    # Turns of GetCurrentUserData come at its 2 a second, GetCurrentMetricData's at 5.
    assert quota.reserve(key, GET_CURRENT_USER_DATA) - deferred.turn_in == pytest.approx(
        0.5, abs=0.05
    )
    metric_turn = quota.reserve(key, GET_CURRENT_METRIC_DATA)
    assert quota.reserve(key, GET_CURRENT_METRIC_DATA) - metric_turn == pytest.approx(0.2, abs=0.05)


def test_the_second_kind_is_locked_on_its_own(queue_filter: QueueFilter, agents: SourceKey) -> None:
    poll_lock().acquire(agents, ttl=10)  # another worker polls the agents
    assert poll_source(agents).step is Step.BUSY
    assert poll_source(queue_filter.source_key).step is Step.OK


def test_a_failing_source_of_the_second_kind_shows_stale_numbers_and_rests(
    queue_filter: QueueFilter, agents: SourceKey, agents_kind: AgentsKind, redis_mode: str
) -> None:
    assert poll_source(agents).step is Step.OK
    set_faults(redis_mode, queue_filter.instance.instance_id, access_denied=True)
    assert poll_source(agents).step is Step.FAILED
    stale = agents_kind.published[-1][1]["body"]
    assert stale["status"] == "stale" and stale["agents"]
    assert stale["reason"].startswith("Access to the Connect instance was denied")
    assert agents_kind.settings[agents.id].last_error
    rest = backoff_state().get(agents)
    assert rest is not None and rest.outcome == Outcome.ACCESS_DENIED.value
    assert backoff_state().get(queue_filter.source_key) is None
    assert poll_source(agents).step is Step.RESTING
    hour = telemetry.last_hour()
    assert hour.of_source(telemetry.What.POLL_ERRORS, agents) == 1
    assert hour.of_source(telemetry.What.POLLS, queue_filter.source_key) == 0


def test_its_request_rules_refuse_before_any_call(
    queue_filter: QueueFilter, agents: SourceKey, agents_kind: AgentsKind, redis_mode: str
) -> None:
    agents_kind.settings[agents.id].queue_ids = []
    assert poll_source(agents).step is Step.FAILED
    assert user_data_calls(redis_mode, queue_filter.instance) == 0
    assert agents_kind.published[-1][1]["body"]["status"] == "error"


def test_a_deleted_source_of_the_second_kind_is_gone(
    agents: SourceKey, agents_kind: AgentsKind
) -> None:
    del agents_kind.settings[agents.id]
    assert poll_source(agents).step is Step.GONE
    with pytest.raises(LookupError, match="no_such_kind"):
        poll_source(SourceKey("no_such_kind", 1))


@pytest.mark.django_db(transaction=True)
async def test_embedded_mode_polls_the_second_kind_and_publishes_on_the_loop(
    embedded_mode: None, agents_kind: AgentsKind
) -> None:
    def make() -> None:
        instance = simulated_instance(poll_interval=1)
        queue_id = instance.queues.values_list("queue_id", flat=True).first()
        agents_kind.settings[1] = Setting(instance.pk, [str(queue_id)])

    await asyncio.to_thread(make)
    poller = EmbeddedPoller(tick=0.25)
    poller.start()
    await asyncio.sleep(1.5)
    await poller.stop()
    assert agents_kind.published and {s for s, _ in agents_kind.published} == {1}
    assert agents_kind.publish_threads == {threading.get_ident()}


def test_every_call_of_the_client_takes_a_turn_of_its_own_apis_quota(
    queue_filter: QueueFilter,
) -> None:
    instance = queue_filter.instance
    client = client_for(instance)
    queue_ids = list(instance.queues.values_list("queue_id", flat=True)[:1])
    for _ in range(governed_burst(GET_CURRENT_USER_DATA)):
        client.get_current_user_data(InstanceId=instance.instance_id, Filters={"Queues": queue_ids})
    quota = governor()
    assert quota.reserve(instance.quota_key, GET_CURRENT_USER_DATA) > 0  # its burst is spent
    assert quota.reserve(instance.quota_key, GET_CURRENT_METRIC_DATA) == 0  # this one's is not
