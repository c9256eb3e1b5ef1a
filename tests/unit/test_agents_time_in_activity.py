"""Time in an activity from the API's timestamps (connectmetrics/agents/cards.py): every
activity's start on a poller's first poll, what carries on from the poll before and what
does not, and a poller that has just started against the simulated centre showing the
same times as one that has been polling for ten minutes."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from connectmetrics.agents import cards
from connectmetrics.agents.activity import CONTACT_ACTIVITIES
from connectmetrics.connectapi.catalogue import SIMULATED_INSTANCE_ID
from connectmetrics.simulator import simulated_client
from connectmetrics.wire.socket_messages import AgentCard

T0 = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
NOW = T0 + timedelta(hours=2)
NAMES = cards.Names(
    agents={"u1": "Ada Lovelace"},
    teams={},
    routing_profiles={},
    queues={"q1": "Billing"},
    status_types={"arn:available": "ROUTABLE", "arn:break": "CUSTOM", "arn:lunch": "CUSTOM"}
    | {"arn:offline": "OFFLINE"},
)


def ms(moment: datetime) -> int:
    return round(moment.timestamp() * 1000)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def contact(state: str, start: datetime, **more: Any) -> dict[str, Any]:
    return {
        "ContactId": f"c-{state}-{start.timestamp()}",
        "Channel": "VOICE",
        "InitiationMethod": "INBOUND",
        "AgentContactState": state,
        "StateStartTimestamp": start,
        "Queue": {"Id": "q1"},
        **more,
    }


def user_data(
    contacts: list[dict[str, Any]], status: str = "available", status_start: datetime = T0
) -> dict[str, Any]:
    return {
        "User": {"Id": "u1"},
        "Status": {
            "StatusName": status.capitalize(),
            "StatusArn": f"arn:{status}",
            "StatusStartTimestamp": status_start,
        },
        "Contacts": contacts,
        "ActiveSlotsByChannel": {"VOICE": len(contacts)},
        "MaxSlotsByChannel": {"VOICE": 1},
    }


def card(row: dict[str, Any], previous: AgentCard | None = None, now: datetime = NOW) -> AgentCard:
    return cards.card_of(row, NAMES, previous, now)


# Each activity, as a poller's first poll sees it: (UserData, activity, its true start).
FIRST_POLL = {
    "error": (user_data([contact("ERROR", at(50))]), "error", at(50)),
    "missed": (user_data([contact("MISSED", at(51))]), "missed", at(51)),
    "rejected": (
        user_data([contact("REJECTED", at(52), Channel="CHAT")]),
        "rejected",
        at(52),
    ),
    "connected": (
        user_data([contact("CONNECTED", at(53), ConnectedToAgentTimestamp=at(53))]),
        "on_contact",
        at(53),
    ),
    "outbound being placed": (
        user_data([contact("CONNECTING", at(54), InitiationMethod="OUTBOUND")]),
        "on_contact",
        at(54),
    ),
    "after contact work": (
        user_data([contact("ENDED", at(55), ConnectedToAgentTimestamp=at(40))]),
        "after_contact_work",
        at(55),
    ),
    "incoming": (user_data([contact("INCOMING", at(56))]), "incoming", at(56)),
    "custom": (user_data([], "break", at(57)), "custom", at(57)),
    "available": (user_data([], "available", at(58)), "available", at(58)),
    "offline": (user_data([], "offline", at(59)), "offline", at(59)),
}


@pytest.mark.parametrize("case", FIRST_POLL)
def test_a_first_poll_takes_every_activitys_start_from_the_api(case: str) -> None:
    row, activity, started = FIRST_POLL[case]
    shown = card(row)
    assert (shown.activity, shown.since) == (activity, ms(started))
    assert shown.hold_since is None and not shown.on_hold


def test_a_contact_on_hold_counts_on_contact_from_its_connection_and_hold_from_first_seen() -> None:
    held = user_data(
        [contact("CONNECTED_ONHOLD", at(60), ConnectedToAgentTimestamp=at(60))], "available"
    )
    first = card(held)
    # StateStartTimestamp stays at the connection while on hold: the hold is first seen now.
    assert (first.activity, first.since, first.on_hold) == ("on_contact", ms(at(60)), True)
    assert first.hold_since == ms(NOW)
    later = card(held, first, NOW + timedelta(seconds=5))
    assert (later.since, later.hold_since) == (ms(at(60)), ms(NOW))


def test_a_new_contact_on_hold_is_not_the_old_ones_hold() -> None:
    old = card(
        user_data([contact("CONNECTED_ONHOLD", at(60), ConnectedToAgentTimestamp=at(60))]),
    )
    new_call = user_data([contact("CONNECTED_ONHOLD", at(62), ConnectedToAgentTimestamp=at(62))])
    later = NOW + timedelta(seconds=5)
    assert card(new_call, old, later).hold_since == ms(later)


def test_contact_activities_never_carry_the_poll_before() -> None:
    before = card(user_data([contact("CONNECTED", at(10), ConnectedToAgentTimestamp=at(10))]))
    acw = card(user_data([contact("ENDED", at(70))]), before)
    assert (acw.activity, acw.since) == ("after_contact_work", ms(at(70)))


def test_available_again_after_a_contact_counts_from_the_poll_that_first_saw_it() -> None:
    # The status stays Available (set at T0) through the contact: the API has no start.
    in_acw = card(user_data([contact("ENDED", at(70))]))
    first_seen = NOW + timedelta(seconds=5)
    back = card(user_data([]), in_acw, first_seen)
    assert (back.activity, back.since) == ("available", ms(first_seen))
    still = card(user_data([]), back, first_seen + timedelta(seconds=5))
    assert still.since == ms(first_seen)


def test_a_status_set_after_the_activity_before_takes_its_own_start() -> None:
    available = card(user_data([], "available", at(5)))
    on_break = card(user_data([], "break", at(80)), available)
    assert (on_break.activity, on_break.since) == ("custom", ms(at(80)))
    # Break then Lunch: both custom statuses, each from when the agent set it.
    lunch = card(user_data([], "lunch", at(90)), on_break)
    assert (lunch.activity, lunch.status, lunch.since) == ("custom", "Lunch", ms(at(90)))
    # A break chosen during after contact work (NextStatus) starts when the work ended.
    in_acw = card(user_data([contact("ENDED", at(100))]))
    after = card(user_data([], "break", at(103)), in_acw)
    assert after.since == ms(at(103))


def test_without_a_status_start_the_status_counts_from_first_seen() -> None:
    row = user_data([])
    del row["Status"]["StatusStartTimestamp"]
    assert card(row).since == ms(NOW)


def test_only_the_poll_just_before_is_carried() -> None:
    in_acw = card(user_data([contact("ENDED", at(70))]))
    back = card(user_data([]), in_acw, NOW)
    body = cards.ok_body([back], fetched_at=NOW, poll_interval=5, thresholds=[])
    assert cards.previous_cards(body, NOW + timedelta(seconds=5), 5) == {"u1": back}
    # After a gap (a rest, a restart) the agent may have had any number of contacts.
    assert cards.previous_cards(body, NOW + timedelta(minutes=5), 5) == {}
    assert cards.previous_cards(None, NOW, 5) == {}


def expected_start(row: dict[str, Any]) -> float:
    """The start the API gives for the console's activity of one UserData (the issue's rule)."""
    ranks = {
        "ERROR": 0,
        "MISSED": 1,
        "REJECTED": 2,
        "CONNECTED": 3,
        "CONNECTED_ONHOLD": 3,
        "ENDED": 4,
    }

    def rank(c: dict[str, Any]) -> int:
        state = c["AgentContactState"]
        if state in ("INCOMING", "PENDING", "CONNECTING"):
            return 3 if c["InitiationMethod"] == "OUTBOUND" else 5
        return ranks[state]

    def start(c: dict[str, Any]) -> datetime:
        if c["AgentContactState"] in ("CONNECTED", "CONNECTED_ONHOLD"):
            return c.get("ConnectedToAgentTimestamp") or c["StateStartTimestamp"]
        return c["StateStartTimestamp"]

    contacts = row["Contacts"]
    if not contacts:
        return float(row["Status"]["StatusStartTimestamp"].timestamp())
    top = min(rank(c) for c in contacts)
    return min(start(c) for c in contacts if rank(c) == top).timestamp()


class Floor:
    """The simulated centre's whole floor at a moment of its clock, polled like the poller."""

    def __init__(self) -> None:
        self.moment = 0.0
        self.client = simulated_client(seed=7, agents=400, clock=lambda: self.moment)
        summaries = self.client.list_agent_statuses(InstanceId=SIMULATED_INSTANCE_ID)[
            "AgentStatusSummaryList"
        ]
        self.names = cards.Names({}, {}, {}, {}, {s["Arn"]: s["Type"] for s in summaries})
        self.profiles = [
            p["Id"]
            for p in self.client.list_routing_profiles(InstanceId=SIMULATED_INSTANCE_ID)[
                "RoutingProfileSummaryList"
            ]
        ]

    def rows(self, moment: datetime) -> list[dict[str, Any]]:
        self.moment = moment.timestamp()
        params: dict[str, Any] = {
            "InstanceId": SIMULATED_INSTANCE_ID,
            "Filters": {"RoutingProfiles": self.profiles},
            "MaxResults": 100,
        }
        rows: list[dict[str, Any]] = []
        while True:
            answer = self.client.get_current_user_data(**params)
            rows += answer["UserDataList"]
            if not answer.get("NextToken"):
                return rows
            params["NextToken"] = answer["NextToken"]

    def poll(self, moment: datetime, previous: dict[str, AgentCard]) -> dict[str, AgentCard]:
        found = cards.build_cards(
            self.rows(moment), self.names, previous, moment, show_offline=True
        )
        return {c.key: c for c in found}


def test_a_fresh_poller_shows_the_true_time_in_state() -> None:
    floor = Floor()
    end = datetime(2026, 12, 3, 11, 0, tzinfo=UTC)  # a busy morning
    # A poller running for ten minutes, every 5 s; and one started just now.
    running: dict[str, AgentCard] = {}
    seen_contact_end: set[str] = set()
    for step in range(120, -1, -1):
        moment = end - timedelta(seconds=5 * step)
        polled = floor.poll(moment, running)
        for key, shown in polled.items():
            before = running.get(key)
            if before is not None and before.activity in CONTACT_ACTIVITIES:
                seen_contact_end.add(key)
            if shown.activity in CONTACT_ACTIVITIES:
                seen_contact_end.discard(key)
        running = polled
    rows = {row["User"]["Id"]: row for row in floor.rows(end)}
    fresh = floor.poll(end, {})

    assert len(fresh) > 100 and fresh.keys() == running.keys()
    activities = {shown.activity for shown in fresh.values()}
    assert {"on_contact", "after_contact_work", "available", "custom"} <= activities
    for key, shown in fresh.items():
        # The first poll's start is the API's, for every activity: never the poller's uptime.
        assert shown.since == round(expected_start(rows[key]) * 1000), shown
    for key, shown in running.items():
        if shown.activity == "available" and key in seen_contact_end:
            # Available again after a contact the running poller saw end: it knows better.
            assert fresh[key].since <= shown.since <= ms(end)
        else:
            assert shown.since == fresh[key].since, (shown, fresh[key])
