// The page's state and the one rule that changes it: applyMessage.
//
// A pure function (no DOM, no clock, never mutates its arguments) so the
// rule "a snapshot plus the updates after it equals a fresh snapshot" can be
// checked against the real server, and so a render can compare the previous
// state with the next one by identity.

export const TREND_WINDOW_MS = 60 * 60 * 1000;

// Fields of a snapshot or update message that become the state's data.
const DATA_FIELDS = [
  "queue_filter",
  "seq",
  "status",
  "reason",
  "data_snapshot_time",
  "fetched_at",
  "published_at",
  "poll_interval",
  "build",
  "metrics",
  "groupings",
  "rows",
  "totals",
];

const WALLBOARD_FIELDS = [
  "title",
  "columns",
  "layout",
  "theme",
  "ticker",
  "sound_on_critical",
  "rotation",
  "rotation_seconds",
  "build",
];

export function initialState(wallboard) {
  return { wallboard: { ...wallboard }, data: null, revoked: null };
}

export function applyMessage(state, msg) {
  switch (msg && msg.type) {
    case "snapshot":
      return { ...state, data: fromSnapshot(msg) };
    case "update":
      return applyUpdate(state, msg);
    case "wallboard":
      return { ...state, wallboard: applyWallboard(state.wallboard, msg) };
    case "revoked":
      return { ...state, revoked: msg.reason || "This screen's link was revoked" };
    default:
      // Heartbeats prove the link is alive; they change no state.
      return state;
  }
}

function pick(msg, fields, base) {
  const out = { ...base };
  for (const field of fields) {
    if (field in msg) {
      out[field] = msg[field];
    }
  }
  return out;
}

function fromSnapshot(msg) {
  const data = pick(msg, DATA_FIELDS, {});
  data.trends = msg.trends || {};
  return data;
}

function applyWallboard(wallboard, msg) {
  return pick(msg, WALLBOARD_FIELDS, wallboard);
}

function applyUpdate(state, msg) {
  const previous = state.data;
  if (previous) {
    // An update for another filter (the wallboard was re-pointed and a new
    // snapshot is on its way) or one already applied changes nothing.
    if (msg.queue_filter !== previous.queue_filter || msg.seq <= previous.seq) {
      return state;
    }
  }
  const data = pick(msg, DATA_FIELDS, previous || {});
  data.trends = mergeTrendPoints(previous ? previous.trends : {}, msg.trend_points || {});
  return { ...state, data };
}

// The trend rule, the same as the server's: each trend point either replaces
// the last point of its series (same 30-second bucket) or is appended; then
// every point 60 minutes or more before the update's newest bucket falls off,
// and emptied series and rows go away. Series the update does not touch keep
// their identity, so the renderer can skip redrawing them.
function mergeTrendPoints(trends, points) {
  let newest = null;
  const merged = { ...trends };
  for (const [key, rowPoints] of Object.entries(points)) {
    const row = { ...(merged[key] || {}) };
    for (const [metric, point] of Object.entries(rowPoints)) {
      const series = row[metric] || [];
      const last = series.length ? series[series.length - 1] : null;
      row[metric] =
        last && last[0] === point[0] ? [...series.slice(0, -1), point] : [...series, point];
      newest = newest === null ? point[0] : Math.max(newest, point[0]);
    }
    merged[key] = row;
  }
  if (newest === null) {
    return trends;
  }
  const oldestKept = newest - TREND_WINDOW_MS;
  for (const key of Object.keys(merged)) {
    const row = merged[key];
    let trimmedRow = row;
    for (const metric of Object.keys(row)) {
      const series = row[metric];
      if (series.length && series[0][0] > oldestKept) {
        continue;
      }
      const kept = series.filter((point) => point[0] > oldestKept);
      if (trimmedRow === row) {
        trimmedRow = { ...row };
      }
      if (kept.length) {
        trimmedRow[metric] = kept;
      } else {
        delete trimmedRow[metric];
      }
    }
    if (Object.keys(trimmedRow).length) {
      merged[key] = trimmedRow;
    } else {
      delete merged[key];
    }
  }
  return merged;
}
