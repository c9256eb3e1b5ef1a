// Open alerts on the screens (docs/alerts.md): the supervisor's list, where
// staff acknowledge one, and the TV's line of alerts in its ticker area. Both
// show the `alerts` message the socket sends after the snapshot and again,
// whole, on every change; how long each alert has lasted counts up between
// messages on the server's clock.

import { el, levelCue, setLevel, setText } from "./dom.js";
import { formatClock, formatValue, parseTime } from "./format.js";

const LEVEL_WORDS = { warning: "Warning", critical: "Critical" };

// "for 45 s", "for 3 min", "for 1 h 05 min": how long since the row first breached.
export function forHowLong(since, now) {
  const seconds = Math.max(0, Math.floor((now - since) / 1000));
  if (seconds < 60) {
    return `for ${seconds} s`;
  }
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) {
    return `for ${minutes} min`;
  }
  return `for ${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, "0")} min`;
}

function metricLabel(alert, catalogue) {
  const entry = catalogue[alert.metric];
  return entry ? entry.label : alert.metric;
}

function valueText(alert, catalogue) {
  const entry = catalogue[alert.metric];
  return formatValue(alert.value, entry ? entry.unit : "COUNT");
}

function clockOf(iso) {
  const at = parseTime(iso);
  return at === null ? "" : formatClock(new Date(at));
}

function acknowledgedText(alert) {
  if (!alert.acknowledged_at) {
    return "";
  }
  return `${alert.acknowledged_by || "someone"} at ${clockOf(alert.acknowledged_at)}`;
}

// Keeps the "for …" texts of the alerts shown counting up.
class Durations {
  constructor() {
    this.shown = [];
  }

  reset() {
    this.shown = [];
  }

  add(node, iso) {
    this.shown.push({ node, since: parseTime(iso) });
  }

  tick(now) {
    for (const { node, since } of this.shown) {
      setText(node, since === null ? "" : forHowLong(since, now));
    }
  }
}

// The supervisor's list: one row per open alert, with the acknowledge button
// for those who may (the server decides: config.acknowledge.allowed).
export class AlertList {
  constructor(section, { catalogue, acknowledge }) {
    this.section = section;
    this.body = section.querySelector("tbody");
    this.none = section.querySelector(".alerts-none");
    this.count = section.querySelector(".alerts-count");
    this.catalogue = catalogue;
    this.acknowledge = acknowledge;
    this.alerts = null;
    this.durations = new Durations();
    // Alert id -> what the last click on its button came to, until the list changes.
    this.outcomes = new Map();
    this.body.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-alert-id]");
      if (button) {
        this.send(Number(button.dataset.alertId), button);
      }
    });
  }

  render(alerts, now) {
    if (alerts === this.alerts) {
      this.durations.tick(now);
      return;
    }
    this.alerts = alerts;
    this.section.hidden = alerts === null;
    const list = alerts || [];
    setText(this.count, list.length ? `(${list.length})` : "");
    this.none.hidden = list.length > 0;
    this.durations.reset();
    this.body.replaceChildren(...list.map((alert) => this.row(alert)));
    this.durations.tick(now);
  }

  tick(now) {
    this.durations.tick(now);
  }

  row(alert) {
    const tr = el("tr", "alert-row");
    tr.dataset.alertId = String(alert.id);
    const level = el("td", "alert-level");
    const cue = levelCue();
    setLevel(level, cue, alert.level);
    level.append(cue.cue, el("span", "alert-level-word", LEVEL_WORDS[alert.level] || alert.level));
    const since = el("td", "alert-since");
    const lasted = el("span", "alert-for");
    this.durations.add(lasted, alert.since);
    since.append(lasted, el("span", "alert-since-clock", ` since ${clockOf(alert.since)}`));
    tr.append(
      level,
      el("td", "alert-rule", alert.rule),
      el("td", "alert-row-label", alert.row),
      el("td", "alert-metric", metricLabel(alert, this.catalogue)),
      el("td", "alert-value", valueText(alert, this.catalogue)),
      since,
      this.acknowledgedCell(alert),
    );
    return tr;
  }

  acknowledgedCell(alert) {
    const cell = el("td", "alert-acknowledged");
    if (alert.acknowledged_at) {
      cell.textContent = acknowledgedText(alert);
      return cell;
    }
    if (!this.acknowledge.allowed) {
      cell.textContent = "Not yet";
      return cell;
    }
    const button = el("button", "button ack-button", "Acknowledge");
    button.type = "button";
    button.dataset.alertId = String(alert.id);
    cell.append(button);
    const outcome = this.outcomes.get(alert.id);
    if (outcome) {
      cell.append(el("span", "ack-error", outcome));
    }
    return cell;
  }

  async send(id, button) {
    button.disabled = true;
    button.textContent = "Acknowledging…";
    let error = "";
    try {
      const response = await fetch(this.acknowledge.path.replace("/0/", `/${id}/`), {
        method: "POST",
        headers: { "X-CSRFToken": this.acknowledge.csrf_token },
        credentials: "same-origin",
      });
      const answer = await response.json().catch(() => ({}));
      error = response.ok ? "" : answer.error || `The server answered ${response.status}.`;
    } catch {
      error = "Could not reach the server; try again.";
    }
    if (error) {
      this.outcomes.set(id, error);
      button.disabled = false;
      button.textContent = "Acknowledge";
      const cell = button.parentElement;
      cell.querySelector(".ack-error")?.remove();
      cell.append(el("span", "ack-error", error));
    }
    // On success the socket's next `alerts` message shows who and when.
  }
}

const LEVEL_ORDER = { critical: 0, warning: 1 };

// The TV's line of open alerts, above the ticker text: level, queue, metric,
// value and how long, large enough to read across a room. Critical ones first;
// those that do not fit on its two lines are counted ("+3 more").
export class AlertTicker {
  constructor(host, { catalogue }) {
    this.host = host;
    this.catalogue = catalogue;
    this.alerts = null;
    this.durations = new Durations();
  }

  render(alerts, now) {
    if (alerts === this.alerts) {
      this.durations.tick(now);
      return;
    }
    this.alerts = alerts;
    const list = [...(alerts || [])].sort(
      (a, b) => (LEVEL_ORDER[a.level] ?? 2) - (LEVEL_ORDER[b.level] ?? 2),
    );
    this.host.hidden = list.length === 0;
    this.durations.reset();
    const items = list.map((alert) => this.item(alert));
    this.host.replaceChildren(...items);
    this.durations.tick(now);
    this.fit(items);
  }

  // Leave out the last alerts while the line overflows, and say how many.
  fit(items) {
    const more = el("span", "tv-alert tv-alert-more");
    let shown = items.length;
    while (shown > 1 && this.host.scrollHeight > this.host.clientHeight + 1) {
      shown -= 1;
      items[shown].remove();
      more.textContent = `+${items.length - shown} more`;
      if (!more.isConnected) {
        this.host.append(more);
      }
    }
  }

  tick(now) {
    this.durations.tick(now);
  }

  item(alert) {
    const item = el("span", "tv-alert");
    item.dataset.alertId = String(alert.id);
    const cue = levelCue();
    setLevel(item, cue, alert.level);
    const lasted = el("span", "tv-alert-for");
    this.durations.add(lasted, alert.since);
    item.append(
      cue.cue,
      el("span", "tv-alert-row", alert.row),
      el("span", "tv-alert-metric", metricLabel(alert, this.catalogue)),
      el("span", "tv-alert-value", valueText(alert, this.catalogue)),
      lasted,
    );
    if (alert.acknowledged_at) {
      item.append(el("span", "tv-alert-ack", `✓ ${alert.acknowledged_by || "acknowledged"}`));
    }
    return item;
  }
}
