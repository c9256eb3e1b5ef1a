// The page's state and the one rule that changes it: applyMessage.
//
// The state keeps the wallboard's settings (its panels among them) and, per
// source a panel shows, that source's data: its last snapshot with the updates
// after it applied. A source is named as its messages name it (sourceOf): a
// queue filter by its ID (`queue_filter`), any other kind by its SourceKey
// (`source`, e.g. "agent_source:4", "today_source:2").
//
// A pure function (no DOM, no clock, never mutates its arguments) so the
// rule "a snapshot plus the updates after it equals a fresh snapshot" can be
// checked against the real server, and so a render can compare the previous
// state with the next one by identity: rows an update leaves alone keep theirs.
//
// The fields come from the wire contract (connectmetrics/wire/socket_messages.py,
// generated into contract.js), never from a list kept here.

import { FIELDS } from "./contract.js";

export const TREND_WINDOW_MS = 60 * 60 * 1000;

// What an update says about the rows and trends, applied by applyUpdate; every
// other field of an update is copied into the data as it is.
const DELTA_FIELDS = ["type", "base", "order", "rows", "changes", "trend_bucket"];
const SNAPSHOT_FIELDS = FIELDS.snapshot.filter((field) => field !== "type" && field !== "trends");
const UPDATE_FIELDS = FIELDS.update.filter((field) => !DELTA_FIELDS.includes(field));
const WALLBOARD_FIELDS = FIELDS.wallboard.filter((field) => field !== "type");
const AGENT_SNAPSHOT_FIELDS = FIELDS.agent_snapshot.filter((field) => field !== "type");
const AGENT_DELTA_FIELDS = ["type", "base", "agents", "gone"];
const AGENT_UPDATE_FIELDS = FIELDS.agent_update.filter(
  (field) => !AGENT_DELTA_FIELDS.includes(field),
);

const TODAY_SNAPSHOT_FIELDS = FIELDS.today_snapshot.filter((field) => field !== "type");
const TODAY_DELTA_FIELDS = ["type", "base", "rows", "gone"];
const TODAY_UPDATE_FIELDS = FIELDS.today_update.filter(
  (field) => !TODAY_DELTA_FIELDS.includes(field),
);

// The name of the source a panel shows, or a snapshot or update is about.
export function sourceOf(panelOrMessage) {
  const id = panelOrMessage.queue_filter;
  return id === null || id === undefined ? panelOrMessage.source : id;
}

export function initialState(wallboard) {
  return { wallboard: { ...wallboard }, sources: {}, alerts: {}, revoked: null, outOfStep: false };
}

// The sources the wallboard's panels show, each once, in the panels' order.
export function sourcesOf(wallboard) {
  return [...new Set((wallboard.panels || []).map(sourceOf))];
}

// The data a panel shows: its source's, or null before the first snapshot.
export function dataOf(state, panel) {
  return state.sources[sourceOf(panel)] || null;
}

// The open alerts of every source the panels show, in the panels' order; null
// until the socket has sent those of at least one. The same array for the same
// alerts, so a render can tell by identity that they did not change.
const openAlertsOf = new WeakMap();

export function openAlerts(state) {
  if (!openAlertsOf.has(state.alerts)) {
    const shown = sourcesOf(state.wallboard).filter((id) => id in state.alerts);
    openAlertsOf.set(state.alerts, shown.length ? shown.flatMap((id) => state.alerts[id]) : null);
  }
  return openAlertsOf.get(state.alerts);
}

export function applyMessage(state, msg) {
  switch (msg && msg.type) {
    case "snapshot":
      return applySnapshot(state, msg);
    case "update":
      return applyUpdate(state, msg);
    case "agent_snapshot":
      return startSource(state, msg, pick(msg, AGENT_SNAPSHOT_FIELDS, {}));
    case "agent_update":
      return applyAgentUpdate(state, msg);
    case "today_snapshot":
      return startSource(state, msg, pick(msg, TODAY_SNAPSHOT_FIELDS, {}));
    case "today_update":
      return applyTodayUpdate(state, msg);
    case "alerts":
      return applyAlerts(state, msg);
    case "wallboard":
      return applyWallboardMessage(state, msg);
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

// A snapshot starts its source's data afresh; one of a source no panel shows
// (a panel removed meanwhile) is dropped.
function applySnapshot(state, msg) {
  return startSource(state, msg, fromSnapshot(msg));
}

function startSource(state, msg, data) {
  const source = sourceOf(msg);
  if (!sourcesOf(state.wallboard).includes(source)) {
    return state;
  }
  const sources = { ...state.sources, [source]: data };
  return { ...state, sources, outOfStep: false };
}

// A source's open alerts, whole each time (alerts.js shows them); those of a
// source no panel shows are dropped.
function applyAlerts(state, msg) {
  if (!sourcesOf(state.wallboard).includes(msg.queue_filter)) {
    return state;
  }
  return { ...state, alerts: { ...state.alerts, [msg.queue_filter]: msg.alerts } };
}

// New settings; the data and alerts of sources no panel shows any more go.
function applyWallboardMessage(state, msg) {
  const wallboard = pick(msg, WALLBOARD_FIELDS, state.wallboard);
  const shown = sourcesOf(wallboard);
  const shownKeys = new Set(shown.map(String));
  const kept = (bySource) =>
    Object.fromEntries(Object.entries(bySource).filter(([id]) => shownKeys.has(id)));
  const sources = kept(state.sources);
  const alerts = kept(state.alerts);
  const same =
    Object.keys(sources).length === Object.keys(state.sources).length &&
    Object.keys(alerts).length === Object.keys(state.alerts).length;
  return same ? { ...state, wallboard } : { ...state, wallboard, sources, alerts };
}

// An update applies to its source's data whose seq is its base. One for a
// source with no data (a panel added: its snapshot is on its way), or one
// already applied, changes nothing. One that does not follow the data (an
// update was missed) cannot be applied: the state says so (outOfStep), and
// the page connects again for fresh snapshots.
function applyUpdate(state, msg) {
  const previous = state.sources[msg.queue_filter];
  const ready = followed(state, previous, msg);
  if (ready !== true) {
    return ready;
  }
  const data = pick(msg, UPDATE_FIELDS, previous);
  data.rows = applyRows(previous.rows, msg, data.metrics);
  data.trends =
    msg.trend_bucket === null || msg.trend_bucket === undefined
      ? previous.trends
      : mergeTrendPoints(
          previous.trends,
          trendPoints(data.rows, data.trend_metrics, msg.trend_bucket),
        );
  return { ...state, sources: { ...state.sources, [msg.queue_filter]: data } };
}

// true when `msg` applies to `previous`; otherwise the state to keep (the same
// one, or one out of step: an update was missed).
function followed(state, previous, msg) {
  if (!previous || msg.seq <= previous.seq) {
    return state;
  }
  if (msg.base !== previous.seq) {
    return state.outOfStep ? state : { ...state, outOfStep: true };
  }
  return true;
}

// An agent source's update: the changed agents whole, and those gone removed;
// the agents it leaves alone keep theirs. Agents are kept in key order, as the
// server keeps them.
function applyAgentUpdate(state, msg) {
  const previous = state.sources[msg.source];
  const ready = followed(state, previous, msg);
  if (ready !== true) {
    return ready;
  }
  const data = pick(msg, AGENT_UPDATE_FIELDS, previous);
  const changed = new Map((msg.agents || []).map((agent) => [agent.key, agent]));
  const gone = new Set(msg.gone || []);
  const agents = [];
  for (const agent of previous.agents) {
    if (!gone.has(agent.key)) {
      agents.push(changed.get(agent.key) || agent);
      changed.delete(agent.key);
    }
  }
  data.agents = [...agents, ...changed.values()].sort((a, b) =>
    a.key < b.key ? -1 : a.key > b.key ? 1 : 0,
  );
  return { ...state, sources: { ...state.sources, [msg.source]: data } };
}

// A today source's update: the changed rows whole, those gone removed, the
// total and the rest copied; rows it leaves alone keep theirs. Rows are kept
// by label (then key), as the server keeps them.
function applyTodayUpdate(state, msg) {
  const previous = state.sources[msg.source];
  const ready = followed(state, previous, msg);
  if (ready !== true) {
    return ready;
  }
  const data = pick(msg, TODAY_UPDATE_FIELDS, previous);
  const changed = new Map((msg.rows || []).map((row) => [row.key, row]));
  const gone = new Set(msg.gone || []);
  const rows = [];
  for (const row of previous.rows) {
    if (!gone.has(row.key)) {
      rows.push(changed.get(row.key) || row);
      changed.delete(row.key);
    }
  }
  const order = (a, b) =>
    a.label < b.label ? -1 : a.label > b.label ? 1 : a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
  data.rows = [...rows, ...changed.values()].sort(order);
  return { ...state, sources: { ...state.sources, [msg.source]: data } };
}

// Rows by position in the base's rows (changes, numbers in `order`) or by key
// (whole rows, strings in `order`); a base row left out of `order` is gone. A
// change names its cells by their metric's position in `metrics`.
function byMetricName(cells, metrics) {
  return Object.fromEntries(
    Object.entries(cells || {}).map(([at, cell]) => [metrics[Number(at)].name, cell]),
  );
}

function applyRows(baseRows, msg, metrics) {
  const byKey = new Map(baseRows.map((row) => [row.key, row]));
  for (const row of msg.rows || []) {
    byKey.set(row.key, row);
  }
  for (const [at, change] of Object.entries(msg.changes || {})) {
    const row = byKey.get(baseRows[Number(at)].key);
    byKey.set(row.key, {
      ...row,
      values: { ...row.values, ...byMetricName(change.values, metrics) },
      levels: { ...row.levels, ...byMetricName(change.levels, metrics) },
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
