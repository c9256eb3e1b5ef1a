// The page's state and the one rule that changes it: applyMessage.
//
// A pure function (no DOM, no clock, never mutates its arguments) so the
// rule "a snapshot plus the updates after it equals a fresh snapshot" can be
// checked against the real server, and so a render can compare the previous
// state with the next one by identity: rows an update leaves alone keep theirs.
//
// The fields come from the wire contract (connectmetrics/socket_messages.py,
// generated into contract.js), never from a list kept here.

import { FIELDS } from "./contract.js";

export const TREND_WINDOW_MS = 60 * 60 * 1000;

// What an update says about the rows and trends, applied by applyUpdate; every
// other field of an update is copied into the data as it is.
const DELTA_FIELDS = ["type", "base", "order", "rows", "changes", "trend_bucket"];
const SNAPSHOT_FIELDS = FIELDS.snapshot.filter((field) => field !== "type" && field !== "trends");
const UPDATE_FIELDS = FIELDS.update.filter((field) => !DELTA_FIELDS.includes(field));
const WALLBOARD_FIELDS = FIELDS.wallboard.filter((field) => field !== "type");

export function initialState(wallboard) {
  return { wallboard: { ...wallboard }, data: null, revoked: null, outOfStep: false };
}

export function applyMessage(state, msg) {
  switch (msg && msg.type) {
    case "snapshot":
      return { ...state, data: fromSnapshot(msg), outOfStep: false };
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
  const data = pick(msg, SNAPSHOT_FIELDS, {});
  data.trends = msg.trends || {};
  return data;
}

function applyWallboard(wallboard, msg) {
  return pick(msg, WALLBOARD_FIELDS, wallboard);
}

// An update applies to the data whose seq is its base. One for another queue
// filter (the wallboard was re-pointed and a new snapshot is on its way), or
// one already applied, changes nothing. One that does not follow the data
// (an update was missed) cannot be applied: the state says so (outOfStep), and
// the page connects again for a fresh snapshot.
function applyUpdate(state, msg) {
  const previous = state.data;
  if (!previous || msg.queue_filter !== previous.queue_filter || msg.seq <= previous.seq) {
    return state;
  }
  if (msg.base !== previous.seq) {
    return state.outOfStep ? state : { ...state, outOfStep: true };
  }
  const data = pick(msg, UPDATE_FIELDS, previous);
  data.rows = applyRows(previous.rows, msg);
  data.trends =
    msg.trend_bucket === null || msg.trend_bucket === undefined
      ? previous.trends
      : mergeTrendPoints(previous.trends, trendPoints(data.rows, data.trend_metrics, msg.trend_bucket));
  return { ...state, data };
}

// Rows by position in the base's rows (changes, numbers in `order`) or by key
// (whole rows, strings in `order`); a base row left out of `order` is gone.
function applyRows(baseRows, msg) {
  const byKey = new Map(baseRows.map((row) => [row.key, row]));
  for (const row of msg.rows || []) {
    byKey.set(row.key, row);
  }
  for (const [at, change] of Object.entries(msg.changes || {})) {
    const row = byKey.get(baseRows[Number(at)].key);
    byKey.set(row.key, {
      ...row,
      values: { ...row.values, ...(change.values || {}) },
      levels: { ...row.levels, ...(change.levels || {}) },
    });
  }
  const keys = msg.order
    ? msg.order.map((entry) => (typeof entry === "number" ? baseRows[entry].key : entry))
    : baseRows.map((row) => row.key);
  return keys.map((key) => byKey.get(key));
}

// The server's rule: each row's trend metrics at this update's bucket.
function trendPoints(rows, trendMetrics, bucket) {
  const points = {};
  for (const row of rows) {
    const series = {};
    for (const metric of trendMetrics || []) {
      if (metric in row.values) {
        series[metric] = [bucket, row.values[metric]];
      }
    }
    if (Object.keys(series).length) {
      points[row.key] = series;
    }
  }
  return points;
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
