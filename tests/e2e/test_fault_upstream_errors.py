"""Access denied and instance not found (issue 7, fault 7).

Two more simulated instances, each with its own InstanceId (so its own faults and call
count at the simulator), a queue filter polled every second and a wallboard. One loses
access after good numbers were shown, the other is not found from its first poll. What
each kind of user sees: the admin, the error in words on the instance; the supervisors,
the screen saying so (stale with the last good numbers, or an error with none); the AWS
account, one call, then nothing for the rest (5 minutes), not one call a second.
"""

import asyncio
import html
import re
from collections.abc import Iterator
from typing import Any

import pytest

from connectmetrics.simulator import set_faults
from tests.chaos_support import (
    Screen,
    Topology,
    is_update,
    record,
    request,
    signed_in,
    simulated_board,
    start_topology,
    upstream_call_times,
)
from tests.conftest import RedisServer

pytestmark = pytest.mark.e2e

DENIED = "00000000-0000-4000-8000-0000000000d1"
MISSING = "00000000-0000-4000-8000-0000000000f4"
INTERVAL = 1
WATCH = 6  # seconds of watching the calls after a failure: 6 polls if nothing rested


@pytest.fixture(scope="module")
def topology(
    redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Topology]:
    redis_server.fresh()
    # The demo's own filter polls rarely here: these tests watch two other instances.
    running = start_topology(
        tmp_path_factory.mktemp("upstream-errors"), redis_url=redis_server.url, interval=30
    )
    yield running
    running.discard()


def board(topology: Topology, name: str, instance_id: str, slug: str, enabled: bool) -> Any:
    return topology.shell_json(
        simulated_board(
            name=name, instance_id=instance_id, slug=slug, interval=INTERVAL, enabled=enabled
        )
    )


def changelist_row(page: str, name: str) -> str:
    """The text of the changelist row that names `name`."""
    for row in re.findall(r"<tr[^>]*>.*?</tr>", page, re.S):
        text = html.unescape(re.sub(r"<[^>]+>", " ", row))
        if name in text:
            return " ".join(text.split())
    raise AssertionError(f"no changelist row for {name!r}")


async def test_denied_and_missing_instances_say_so_everywhere_and_poll_no_more(
    topology: Topology,
) -> None:
    redis_url = topology.redis_url
    assert redis_url is not None
    denied = board(topology, "Denied centre", DENIED, "denied", enabled=True)
    missing = board(topology, "Missing centre", MISSING, "missing", enabled=False)
    set_faults(redis_url, MISSING, not_found=True)
    topology.stack.shell(
        "from connectmetrics.models import QueueFilter; "
        f"QueueFilter.objects.filter(pk={missing['filter']}).update(enabled=True)"
    )
    origin = topology.base_url
    async with (
        Screen(topology.socket_url("denied", denied["token"]), origin) as denied_screen,
        Screen(topology.socket_url("missing", missing["token"]), origin) as missing_screen,
    ):
        good = await denied_screen.wait_for(
            lambda r: is_update(r) and r.message["status"] == "ok", 10
        )
        set_faults(redis_url, DENIED, access_denied=True)
        lost = await denied_screen.wait_for(
            lambda r: is_update(r) and r.message["status"] != "ok", 5
        )
        # A snapshot or an update: a screen that connects while the poll publishes gets
        # the failure in its snapshot, and no update repeats it.
        gone = await missing_screen.wait_for(lambda r: r.message.get("status") == "error", 5)
        calls_at_failure = {i: len(upstream_call_times(redis_url, i)) for i in (DENIED, MISSING)}
        await asyncio.sleep(WATCH)
        calls_after = {i: len(upstream_call_times(redis_url, i)) for i in (DENIED, MISSING)}
        # Whichever failure reached its screen last (the missing centre's first poll can
        # come after the denied centre's failure), nothing follows either.
        failed_at = max(lost.at, gone.at)
        later = [r for r in denied_screen.received + missing_screen.received if r.at > failed_at]

    record(
        "upstream_errors",
        denied_status=lost.message["status"],
        denied_reason=lost.message["reason"],
        missing_status=gone.message["status"],
        missing_reason=gone.message["reason"],
        calls_at_failure=calls_at_failure,
        calls_in_the_next_s={WATCH: {k: calls_after[k] - calls_at_failure[k] for k in calls_after}},
    )
    # The supervisors: the last good numbers kept and marked stale, with the reason...
    assert lost.message["status"] == "stale"
    assert lost.message["reason"].startswith(
        "Access to the Connect instance was denied; an administrator needs to check the "
        "Connect settings; showing the numbers from "
    )
    assert lost.state["rows"] == good.state["rows"]
    assert lost.message["data_snapshot_time"] == good.message["data_snapshot_time"]
    # ...or, with no numbers ever fetched, an error that says what is wrong.
    assert gone.message["status"] == "error"
    assert gone.message["reason"] == (
        "The Connect instance was not found; an administrator needs to check the Connect settings"
    )
    assert gone.state["rows"] == []

    # The account: one call each, then none for the whole rest (a poll a second otherwise).
    assert calls_after == calls_at_failure
    assert calls_at_failure[MISSING] == 1
    assert [r for r in later if r.kind == "update"] == []

    # The admin: the instances' status says failing, in words.
    admin = signed_in(topology.base_url)
    instances = request(
        f"{topology.base_url}/admin/connectmetrics/connectinstance/", opener=admin
    ).body.decode()
    denied_row = changelist_row(instances, "Denied centre")
    missing_row = changelist_row(instances, "Missing centre")
    assert "Failing" in denied_row and "Access to the Connect instance was denied" in denied_row
    assert "Failing" in missing_row and "The Connect instance was not found" in missing_row
    filters = request(
        f"{topology.base_url}/admin/connectmetrics/queuefilter/", opener=admin
    ).body.decode()
    assert "Failing; next poll after" in changelist_row(filters, "Denied centre queues")
    stored = topology.shell_json(
        "import json; from connectmetrics.models import ConnectInstance; print(json.dumps("
        "{i.instance_id: [i.last_error_class, i.last_error_message] "
        "for i in ConnectInstance.objects.all()}))"
    )
    assert stored[DENIED][0] == "AccessDeniedException"
    assert stored[MISSING][0] == "ResourceNotFoundException"
    assert stored[MISSING][1].startswith("The Connect instance was not found")
