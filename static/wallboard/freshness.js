// Whether the numbers on screen can be trusted as live, and the words that
// say so when they cannot. A wallboard that shows old numbers as if they were
// live is the worst thing it can do, so every path to "old" ends here.

import { formatClock, parseTime } from "./format.js";

// Slack on top of two poll intervals for a poll that runs a little late.
export const STALE_MARGIN_MS = 5000;

export function dataTimeOf(data) {
  return parseTime(data.data_snapshot_time) ?? parseTime(data.fetched_at);
}

// `serverNow` is the page's clock corrected by the offset measured from the
// messages' published_at, so a TV whose clock drifts is not falsely stale.
// `speed` is the data clock's (1 but in an endurance run): polls come every
// poll_interval real seconds, that many times as many seconds of data time.
export function freshness(data, linkUp, serverNow, speed = 1) {
  if (!data) {
    return {
      live: false,
      kind: "connecting",
      text: linkUp ? "Waiting for the first numbers…" : "Connecting…",
    };
  }
  const dataTime = dataTimeOf(data);
  const since = dataTime === null ? "Data time unknown" : `Data from ${formatClock(new Date(dataTime))}`;
  if (!linkUp) {
    return { live: false, kind: "stale", text: `${since}, reconnecting…` };
  }
  if (data.status === "error") {
    return { live: false, kind: "error", text: data.reason || `${since}; the last refresh failed` };
  }
  if (data.status === "stale") {
    return { live: false, kind: "stale", text: data.reason || `${since}; not refreshed since` };
  }
  const bound = (2 * (data.poll_interval || 5) * 1000 + STALE_MARGIN_MS) * speed;
  if (dataTime === null || serverNow - dataTime > bound) {
    return { live: false, kind: "stale", text: `${since}; waiting for new numbers…` };
  }
  return { live: true, kind: "live", text: "" };
}
