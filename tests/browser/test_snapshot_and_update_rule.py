"""The reconnect rule in the page's state.js (docs/messages.md): a snapshot plus the updates
after it equals a fresh snapshot, and an update that does not follow makes the page
connect again instead of patching its numbers."""

import json

from playwright.sync_api import BrowserContext, Page, WebSocketRoute

from bench.wallboard_messages import SyntheticCentre, wallboard_message
from tests.browser import DemoSite, live_table, run_module

APPLY_RULE = """
  const freeze = (o) => { if (o && typeof o === "object") { Object.values(o).forEach(freeze);
                          Object.freeze(o); } return o; };
  const HOUR = 3600000, B = 30000, t0 = 1_800_000_000_000;
  const row = (key, n) => ({ key, label: key, dimensions: {}, values: { CONTACTS_IN_QUEUE: n },
                             levels: {} });
  const snapshot = freeze({ type: "snapshot", queue_filter: 3, seq: 10, status: "ok",
    metrics: [{ name: "CONTACTS_IN_QUEUE" }], groupings: ["QUEUE"],
    trend_metrics: ["CONTACTS_IN_QUEUE"],
    rows: [row("QUEUE=a", 1), row("QUEUE=b", 0)], totals: { values: {}, levels: {} },
    trends: { "QUEUE=a": { CONTACTS_IN_QUEUE: [[t0, 1], [t0 + B, 2]] },
              "QUEUE=gone": { CONTACTS_IN_QUEUE: [[t0, 4]] } } });
  // Queue a (position 0 in the base) changes to n; nothing else. Its cell is named by
  // its metric's position in metrics.
  const update = (seq, bucket, n, filter = 3, base = seq - 1) => freeze({ type: "update",
    queue_filter: filter, seq, base, status: "ok", totals: { values: {}, levels: {} },
    trend_bucket: bucket, changes: { 0: { values: { 0: n } } } });
  let s = m.applyMessage(m.initialState({ title: "T", panels: [{ id: 1, queue_filter: 3 }] }),
                         snapshot);
  const rowB = s.sources[3].rows[1];
  s = m.applyMessage(s, update(11, t0 + B, 5));          // same bucket: replaces
  const replaced = s.sources[3].trends["QUEUE=a"].CONTACTS_IN_QUEUE;
  const keptRow = s.sources[3].rows[1] === rowB;
  s = m.applyMessage(s, update(12, t0 + 2 * B, 6));      // next bucket: appends
  const appended = s.sources[3].trends["QUEUE=a"].CONTACTS_IN_QUEUE;
  const ignoredOld = m.applyMessage(s, update(12, t0 + 3 * B, 9)) === s;
  const ignoredOther = m.applyMessage(s, update(13, t0 + 3 * B, 9, 4)) === s;
  const heartbeat = m.applyMessage(s, { type: "heartbeat" }) === s;
  const gap = m.applyMessage(s, update(14, t0 + 3 * B, 9, 3, 13));  // 13 never came
  s = m.applyMessage(s, update(13, t0 + HOUR + B, 7));   // an hour on: old points drop
  // b goes, c comes, and the order is c then a.
  const moved = m.applyMessage(s, freeze({ type: "update", queue_filter: 3, seq: 14, base: 13,
    status: "ok", totals: { values: {}, levels: {} }, trend_bucket: null,
    order: ["QUEUE=c", 0], rows: [row("QUEUE=c", 2)] })).sources[3].rows.map((r) => r.key);
  const ticker = m.applyMessage(s, { type: "wallboard", ticker: "Lunch at 1" });
  return { replaced, appended, ignoredOld, ignoredOther, heartbeat, keptRow, moved,
           gap: { outOfStep: gap.outOfStep, seq: gap.sources[3].seq },
           afterHour: s.sources[3].trends, rows: s.sources[3].rows, seq: s.sources[3].seq,
           ticker: ticker.wallboard.ticker, keptData: ticker.sources === s.sources,
           revoked: m.applyMessage(s, { type: "revoked", reason: "gone" }).revoked };
"""


def test_apply_message_follows_the_snapshot_and_update_rule(modules: Page) -> None:
    result = run_module(modules, "state.js", APPLY_RULE)
    t0, bucket, hour = 1_800_000_000_000, 30_000, 3_600_000
    assert result["replaced"] == [[t0, 1], [t0 + bucket, 5]]
    assert result["appended"] == [[t0, 1], [t0 + bucket, 5], [t0 + 2 * bucket, 6]]
    assert result["ignoredOld"] and result["ignoredOther"] and result["heartbeat"]
    # A row the update left alone is the same object: the renderer skips it.
    assert result["keptRow"]
    # An update that does not follow is not applied: the page connects again.
    assert result["gap"] == {"outOfStep": True, "seq": 12}
    # Every row gets a point per bucket; points 60 minutes or more before the newest
    # bucket are gone, with rows left empty.
    assert result["afterHour"] == {
        "QUEUE=a": {"CONTACTS_IN_QUEUE": [[t0 + 2 * bucket, 6], [t0 + hour + bucket, 7]]},
        "QUEUE=b": {"CONTACTS_IN_QUEUE": [[t0 + 2 * bucket, 0], [t0 + hour + bucket, 0]]},
    }
    assert result["rows"][0]["values"] == {"CONTACTS_IN_QUEUE": 7}
    assert result["moved"] == ["QUEUE=c", "QUEUE=a"]
    assert result["seq"] == 13
    assert result["ticker"] == "Lunch at 1" and result["keptData"]
    assert result["revoked"] == "gone"


SAME_AS_FRESH = """async () => {
  const { applyMessage, initialState } = await import("/static/wallboard/state.js");
  const page = window.wallboardPage;
  const url = new URL(page.socket.url);
  // A second screen's first snapshot, taken when the page has applied the
  // same sequence number.
  const fresh = await new Promise((resolve) => {
    const socket = new WebSocket(url);
    socket.onmessage = (event) => {
      const msg = JSON.parse(event.data);
      if (msg.type === "snapshot") { socket.close(); resolve(msg); }
    };
  });
  const mineNow = () => page.state.sources[fresh.queue_filter];
  for (let i = 0; i < 50 && mineNow().seq < fresh.seq; i++) {
    await new Promise((r) => setTimeout(r, 20));
  }
  const mine = mineNow();
  const rebuilt = applyMessage(initialState(page.state.wallboard), fresh)
    .sources[fresh.queue_filter];
  const keep = (d) => JSON.stringify({ seq: d.seq, rows: d.rows, totals: d.totals,
    trends: d.trends, status: d.status, fetched_at: d.fetched_at, metrics: d.metrics });
  return { seq: [mine.seq, fresh.seq], same: keep(mine) === keep(rebuilt),
           updates: page.renders.count, points: Object.keys(mine.trends).length };
}"""


def test_a_snapshot_plus_the_updates_after_it_equals_a_fresh_snapshot(
    supervisor_page: Page, demo: DemoSite
) -> None:
    supervisor_page.goto(demo.url("/wallboards/demo/"))
    live_table(supervisor_page)
    supervisor_page.wait_for_timeout(4_000)  # several updates, each with trend points
    for _ in range(3):  # an update may land between the two reads: compare again
        result = supervisor_page.evaluate(SAME_AS_FRESH)
        if result["seq"][0] == result["seq"][1]:
            break
    assert result["seq"][0] == result["seq"][1]
    assert result["updates"] >= 3 and result["points"] == 20
    assert result["same"]


# The seq of the numbers the first panel shows, and of every source's.
FIRST_PANEL_SEQ = """(() => {
  const state = window.wallboardPage.state;
  return state.sources[state.wallboard.panels[0].queue_filter].seq;
})()"""


def test_an_update_that_does_not_follow_makes_the_page_connect_again(
    context: BrowserContext, demo: DemoSite
) -> None:
    """The server never sends one (a socket that missed an update gets a fresh snapshot),
    but should one come, the page must not patch its numbers with it."""
    centre = SyntheticCentre(queues=3, build=demo.build)
    snapshot = centre.snapshot()
    following = json.loads(next(centre.updates(seconds=5)))
    gap = {**following, "seq": following["seq"] + 1, "base": following["seq"]}
    sockets: list[WebSocketRoute] = []

    def feed(ws: WebSocketRoute) -> None:
        sockets.append(ws)
        ws.send(wallboard_message("Gap", build=demo.build))
        ws.send(snapshot)
        if len(sockets) == 1:
            ws.send(json.dumps(gap))

    page = context.new_page()
    page.route_web_socket("**/ws/wallboards/**", feed)
    page.goto(demo.url("/wallboards/demo/tv/?token=" + demo.tv_token))
    # The route's handler runs while Playwright waits on the page, not in a sleep.
    for _ in range(50):
        if len(sockets) >= 2:
            break
        page.wait_for_timeout(200)
    assert len(sockets) >= 2, "the page did not connect again"
    shown = page.evaluate(FIRST_PANEL_SEQ)
    assert shown == json.loads(snapshot)["seq"]
