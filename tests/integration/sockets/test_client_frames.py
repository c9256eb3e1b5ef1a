"""Screens only listen: any frame a client sends (junk, binary, huge; fuzzed with
hypothesis) closes that socket, and the other screens carry on."""

import asyncio
from typing import Any

import pytest
from channels.layers import channel_layers
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectmetrics.models import QueueFilter
from dashboard import fanout
from dashboard.models import DisplayToken, Wallboard
from dashboard.push import apublish_update
from tests.socket_support import close_code, opened, tv_path, update

pytestmark = pytest.mark.django_db(transaction=True)

# Junk text (empty included), binary, and huge frames of both kinds.
frames = st.one_of(
    st.text(max_size=500).map(lambda text: {"text": text}),
    st.binary(max_size=500).map(lambda data: {"bytes": data}),
    st.sampled_from([{"text": "x" * 2_000_000}, {"bytes": b"\0" * 2_000_000}]),
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(frame=frames)
def test_a_frame_from_the_client_closes_that_socket_and_the_others_carry_on(
    wallboard: Wallboard,
    tv_token: tuple[DisplayToken, str],
    frame: dict[str, Any],
    queue_filter: QueueFilter,
) -> None:
    async def scenario() -> None:
        channel_layers.backends.clear()
        sender = await opened(tv_path(wallboard, tv_token[1]))
        bystander = await opened(tv_path(wallboard, tv_token[1]))

        await sender.send_input({"type": "websocket.receive", **frame})

        assert await close_code(sender) == 1003
        text = update(queue_filter, 1)
        await apublish_update(queue_filter.pk, text)
        assert await bystander.receive_from(timeout=3) == text
        await bystander.disconnect()
        await fanout.hub().close()

    asyncio.run(scenario())
