"""The reconnect rule for agent sources: a snapshot plus the agent_updates after it equals
a fresh snapshot, for random runs of polls (hypothesis), on the server's messages
(connectmetrics/agents/cards.py) and in the page's state.js (Chromium)."""

from datetime import UTC, datetime, timedelta

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from playwright.sync_api import Page

from connectmetrics.agents import cards
from connectmetrics.wire.socket_messages import AgentCard, AgentSnapshot, encode
from tests.browser import browser, modules, playwright_session  # noqa: F401

T0 = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
THRESHOLDS = [cards.ActivityThreshold("after_contact_work", 120, 300)]

agent_cards = st.dictionaries(
    st.sampled_from([f"agent-{i}" for i in range(12)]),
    st.builds(
        lambda activity, since, hold: AgentCard(
            key="",
            name="An agent",
            activity=activity,
            since=since,
            status="Available",
            on_hold=hold,
            hold_since=since if hold else None,
        ),
        st.sampled_from(["on_contact", "after_contact_work", "available", "custom", "missed"]),
        st.integers(min_value=1_700_000_000_000, max_value=1_700_000_100_000),
        st.booleans(),
    ),
    max_size=12,
)


def floor(polls: list[dict[str, AgentCard]]) -> list[cards.AgentsBody]:
    return [
        cards.ok_body(
            sorted(
                (msgspec.structs.replace(card, key=key) for key, card in poll.items()),
                key=lambda card: card.key,
            ),
            fetched_at=T0 + timedelta(seconds=5 * at),
            poll_interval=5,
            thresholds=THRESHOLDS,
        )
        for at, poll in enumerate(polls)
    ]


def messages(bodies: list[cards.AgentsBody]) -> tuple[list[str], str]:
    """The first snapshot, then each poll's update from the snapshot before it; the last
    snapshot, as a screen connecting now would get it."""
    texts = []
    base: AgentSnapshot | None = None
    for seq, body in enumerate(bodies, start=1):
        snapshot = cards.snapshot("agent_source:1", seq=seq, body=body, published_at=T0, build="b")
        if base is None:
            texts.append(encode(snapshot))
        else:
            texts.append(encode(cards.update(base, seq=seq, body=body, published_at=T0, build="b")))
        base = snapshot
    assert base is not None
    return texts, encode(base)


@given(st.lists(agent_cards, min_size=1, max_size=6))
def test_a_snapshot_and_its_updates_rebuild_the_fresh_snapshot(
    polls: list[dict[str, AgentCard]],
) -> None:
    texts, fresh = messages(floor(polls))
    state = msgspec.json.decode(texts[0], type=AgentSnapshot)
    for text in texts[1:]:
        update = msgspec.json.decode(text, type=cards.AgentUpdate)
        unchanged = {c.key for c in state.agents} & {c.key for c in update.agents}
        assert all(
            next(c for c in state.agents if c.key == key) != card
            for card in update.agents
            for key in unchanged & {card.key}
        ), "an update carries no card that did not change"
        state = cards.apply_update(state, update)
    rebuilt = msgspec.structs.replace(state, published_at="", build="")
    expected = msgspec.structs.replace(
        msgspec.json.decode(fresh, type=AgentSnapshot), published_at="", build=""
    )
    assert rebuilt == expected


@pytest.mark.browser
@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(agent_cards, min_size=1, max_size=5))
def test_the_pages_state_rebuilds_the_fresh_snapshot(
    modules: Page,  # noqa: F811
    polls: list[dict[str, AgentCard]],
) -> None:
    texts, fresh = messages(floor(polls))
    same = modules.evaluate(
        """async ([texts, fresh]) => {
          const m = await import('/static/wallboard/state.js');
          const panel = { id: 1, title: "", layout: "agents", columns: [],
                          source: "agent_source:1", queue_filter: null };
          let state = m.initialState({ panels: [panel] });
          for (const text of texts) state = m.applyMessage(state, JSON.parse(text));
          const expected = JSON.parse(fresh);
          const got = m.dataOf(state, panel);
          return JSON.stringify([got.seq, got.status, got.agents, got.thresholds])
            === JSON.stringify([expected.seq, expected.status, expected.agents,
                                expected.thresholds]) && !state.outOfStep;
        }""",
        [texts, fresh],
    )
    assert same
