// Today's KPIs: a today source's day since the centre's midnight. A band for
// the total (every queue or routing profile together), then one row per queue
// (or routing profile) with the same figures and its own threshold, target and
// trend. The columns are the metrics the source chose, in its order (the
// message's `columns`): the service level against its target with its trend,
// and the figures (queued, handled, abandoned, abandonment rate, average
// handle, answer and abandon times, longest wait). The server decides each service level's standing against its
// target (met, at risk, missed); the page shows it in colour AND in words with
// an icon, so colour is never the only cue. The "as of" time is GetMetricDataV2's
// EndTime of the poll: these numbers arrive about a minute after a contact ends.
//
// TV: the rows fill the panel as large as they stay readable across a room;
// when they do not all fit, the panel pages through them (tv.js turns the
// pages), never scrolls. Supervisor: every row.

import { el, svg, setText } from "./dom.js";
import { formatClock, formatValue, parseTime } from "./format.js";
import { Pager } from "./paging.js";

export const STANDINGS = Object.freeze({
  met: { words: "Met", icon: "check" },
  at_risk: { words: "At risk", icon: "warning" },
  missed: { words: "Missed", icon: "critical" },
});

export const SERVICE_LEVEL = "SERVICE_LEVEL";

// The figure of each GetMetricDataV2 metric a source may show (SERVICE_LEVEL has
// its own column and trend).
export const FIGURES = Object.freeze({
  CONTACTS_QUEUED: { name: "queued", label: "Queued", unit: "COUNT" },
  CONTACTS_HANDLED: { name: "handled", label: "Handled", unit: "COUNT" },
  CONTACTS_ABANDONED: { name: "abandoned", label: "Abandoned", unit: "COUNT" },
  ABANDONMENT_RATE: { name: "abandonment_rate", label: "Abandon %", unit: "PERCENT" },
  AVG_HANDLE_TIME: { name: "avg_handle_time", label: "Avg handle", unit: "SECONDS" },
  AVG_QUEUE_ANSWER_TIME: { name: "avg_answer_time", label: "Avg answer", unit: "SECONDS" },
  MAX_QUEUED_TIME: { name: "max_queued_time", label: "Longest wait", unit: "SECONDS" },
  AVG_ABANDON_TIME: { name: "avg_abandon_time", label: "Avg abandon", unit: "SECONDS" },
});

// A source's columns before it says (connectmetrics/today/rules.py DEFAULT_METRICS).
export const DEFAULT_COLUMNS = Object.freeze([
  SERVICE_LEVEL,
  "CONTACTS_HANDLED",
  "CONTACTS_ABANDONED",
  "ABANDONMENT_RATE",
  "AVG_HANDLE_TIME",
  "AVG_QUEUE_ANSWER_TIME",
]);

// What a row is: the name column's heading and the total's name.
const ROW_WORDS = Object.freeze({
  QUEUE: { heading: "Queue", all: "All queues" },
  ROUTING_PROFILE: { heading: "Routing profile", all: "All routing profiles" },
});

// The columns shown, in the source's order: `cells` are the service level's
// (null) and the figures; the trend (the service level's) comes last.
export function columnsOf(data) {
  const asked = data && Array.isArray(data.columns) && data.columns.length ? data.columns : null;
  const names = (asked || DEFAULT_COLUMNS).filter((name) => name === SERVICE_LEVEL || FIGURES[name]);
  return {
    key: names.join(","),
    serviceLevel: names.includes(SERVICE_LEVEL),
    cells: names.map((name) => (name === SERVICE_LEVEL ? null : FIGURES[name])),
    figures: names.filter((name) => FIGURES[name]).map((name) => FIGURES[name]),
  };
}

// The columns' minimums in em (base.css .today-row): the name, the service level,
// each figure, the trend; 0.4em between them and 0.3em padding each side.
const NAME_EM = 8;
const SL_EM = 6.6;
const FIGURE_EM = 3.1;
const TREND_EM = 2.5;
const GAP_EM = 0.4;
const PADDING_EM = 0.6;
// The width a row wants over the least it takes (in their own em).
const ROW_WIDTH_OVER_LEAST = 50 / 36;

// The least width a row takes, in its own em: a narrower panel sets its rows in
// smaller type rather than cut the name.
export function rowLeastEm(columns) {
  const widths = [
    NAME_EM,
    ...columns.cells.map((cell) => (cell === null ? SL_EM : FIGURE_EM)),
    ...(columns.serviceLevel ? [TREND_EM] : []),
  ];
  return widths.reduce((a, b) => a + b, 0) + GAP_EM * (widths.length - 1) + PADDING_EM;
}

// The grid of a row: the same columns as rowLeastEm, growing in these shares.
export function rowTemplate(columns) {
  return [
    `minmax(${NAME_EM}em, 2fr)`,
    ...columns.cells.map((cell) => (cell === null ? `${SL_EM}em` : `minmax(${FIGURE_EM}em, 1fr)`)),
    ...(columns.serviceLevel ? [`minmax(${TREND_EM}em, 1.2fr)`] : []),
  ].join(" ");
}

const DAY_MS = 24 * 60 * 60 * 1000;
// TV rows: the smallest text (share of the screen height) still read at 5 m on
// a 1080p TV, and the largest worth growing to; a row is this many ems tall.
const MIN_FONT_VH = 2.2;
const MAX_FONT_VH = 3.6;
const ROW_EM = 1.9;
const HEAD_EM = 1.4;
const MOST_OF_SCREEN = 0.62;

export function standingOf(level) {
  return STANDINGS[level] || null;
}

// "83%" or "–".
export function serviceLevelText(value) {
  return formatValue(value, "PERCENT");
}

function checkIcon() {
  const icon = svg("svg", {
    class: "cue-icon",
    viewBox: "0 0 24 24",
    "aria-hidden": "true",
    focusable: "false",
  });
  icon.append(
    svg("path", {
      d: "M4 12.5l5 5L20 6.5",
      fill: "none",
      stroke: "currentColor",
      "stroke-width": "3.2",
      "stroke-linecap": "round",
      "stroke-linejoin": "round",
    }),
  );
  return icon;
}

function spriteIcon(name) {
  const icon = svg("svg", { class: "cue-icon", "aria-hidden": "true", focusable: "false" });
  icon.append(svg("use", { href: `#icon-${name}` }));
  return icon;
}

// The service level, its target and its standing: colour from the class,
// and an icon and a word besides.
class ServiceLevelView {
  constructor(className) {
    this.root = el("div", `today-sl ${className}`);
    this.value = el("span", "today-sl-value");
    this.badge = el("span", "today-standing");
    this.icons = {
      check: checkIcon(),
      warning: spriteIcon("warning"),
      critical: spriteIcon("critical"),
    };
    this.words = el("span", "today-standing-words");
    this.target = el("span", "today-sl-target");
    this.root.append(this.value, this.badge, this.target);
    this.level = undefined;
  }

  show(figures, level, target, threshold) {
    setText(this.value, serviceLevelText(figures ? figures.service_level : null));
    const within = threshold ? ` in ${formatValue(threshold, "SECONDS")}` : "";
    setText(this.target, `target ${target}%${within}`);
    if (level === this.level) {
      return;
    }
    this.level = level;
    const standing = standingOf(level);
    this.root.dataset.standing = level || "none";
    this.badge.hidden = standing === null;
    if (standing !== null) {
      setText(this.words, standing.words);
      this.badge.replaceChildren(this.icons[standing.icon], this.words);
    }
  }
}

// The service level of each quarter hour since midnight, over the whole day
// (so the line grows left to right through the day), the target dashed.
class TrendView {
  constructor() {
    this.root = svg("svg", {
      class: "today-trend",
      viewBox: `0 0 ${DAY_MS / 60000} 100`,
      preserveAspectRatio: "none",
      role: "img",
    });
    this.target = svg("line", { class: "today-trend-target", x1: 0, x2: DAY_MS / 60000 });
    this.line = svg("path", { class: "today-trend-line", d: "" });
    this.root.append(this.target, this.line);
    this.drawn = null;
  }

  show(trend, dayStart, target) {
    const key = JSON.stringify([trend, dayStart, target]);
    if (key === this.drawn) {
      return;
    }
    this.drawn = key;
    const y = 100 - target;
    this.target.setAttribute("y1", String(y));
    this.target.setAttribute("y2", String(y));
    let path = "";
    let open = false;
    for (const [start, value] of trend || []) {
      if (value === null || value === undefined || dayStart === null) {
        open = false;
        continue;
      }
      // Each point at the middle of its quarter hour, in minutes since midnight.
      const x = Math.round((start - dayStart) / 60000 + 7.5);
      path += `${open ? "L" : "M"}${x},${(100 - value).toFixed(1)}`;
      open = true;
    }
    this.line.setAttribute("d", path);
    const known = (trend || []).filter((point) => point[1] !== null);
    this.root.dataset.points = String(known.length);
    const words = known.length
      ? `Service level by quarter hour: ${known.map((p) => Math.round(p[1])).join(", ")}%`
      : "No service level yet today";
    this.root.setAttribute("aria-label", words);
  }
}

class FigureCells {
  constructor(host, className, figures) {
    this.cells = figures.map((figure) => {
      const cell = el("div", `today-figure ${className}`);
      cell.dataset.figure = figure.name;
      const label = el("span", "today-figure-label", figure.label);
      const value = el("span", "today-figure-value");
      cell.append(label, value);
      host.append(cell);
      return { figure, value };
    });
  }

  show(figures) {
    for (const { figure, value } of this.cells) {
      setText(value, formatValue(figures ? figures[figure.name] : null, figure.unit));
    }
  }
}

// The total's band, built for one set of columns and one grouping.
class TotalView {
  constructor(columns, words) {
    this.root = el("section", "today-total");
    this.root.setAttribute("aria-label", `${words.all} today`);
    const name = el("div", "today-total-name", words.all);
    this.root.dataset.serviceLevel = columns.serviceLevel ? "yes" : "no";
    this.root.append(name);
    this.serviceLevel = columns.serviceLevel ? new ServiceLevelView("today-total-sl") : null;
    this.trend = columns.serviceLevel ? new TrendView() : null;
    if (this.serviceLevel) {
      this.root.append(this.serviceLevel.root);
    }
    const figures = el("div", "today-total-figures");
    this.figures = new FigureCells(figures, "today-total-figure", columns.figures);
    this.root.append(figures);
    if (this.trend) {
      this.root.append(this.trend.root);
    }
  }

  show(total, dayStart) {
    this.root.hidden = !total;
    if (!total) {
      return;
    }
    if (this.serviceLevel) {
      this.serviceLevel.show(total.figures, total.level, total.target, null);
      this.trend.show(total.trend, dayStart, total.target);
    }
    this.figures.show(total.figures);
  }
}

class RowView {
  constructor(columns) {
    this.root = el("div", "today-row");
    this.root.setAttribute("role", "row");
    this.name = el("span", "today-name");
    this.root.append(this.name);
    this.serviceLevel = columns.serviceLevel ? new ServiceLevelView("today-row-sl") : null;
    // The cells in the source's order: the service level's where it chose it.
    const at = columns.cells.indexOf(null);
    const before = at < 0 ? columns.figures : columns.cells.slice(0, at);
    const after = at < 0 ? [] : columns.cells.slice(at + 1);
    this.figures = new FigureCells(this.root, "today-row-figure", before);
    if (this.serviceLevel) {
      this.root.append(this.serviceLevel.root);
    }
    this.after = new FigureCells(this.root, "today-row-figure", after);
    this.trend = columns.serviceLevel ? new TrendView() : null;
    if (this.trend) {
      this.root.append(this.trend.root);
    }
  }

  show(row, dayStart) {
    this.root.dataset.key = row.key;
    this.root.dataset.standing = row.level || "none";
    setText(this.name, row.label);
    this.name.title = row.label;
    if (this.serviceLevel) {
      this.serviceLevel.show(row.figures, row.level, row.target, row.threshold);
      this.trend.show(row.trend, dayStart, row.target);
    }
    this.figures.show(row.figures);
    this.after.show(row.figures);
  }
}

function headRow(columns, words) {
  const head = el("div", "today-row today-head");
  head.setAttribute("role", "row");
  head.append(el("span", "today-name", words.heading));
  for (const cell of columns.cells) {
    head.append(
      cell === null
        ? el("span", "today-row-sl", "Service level")
        : el("span", "today-row-figure", cell.label),
    );
  }
  if (columns.serviceLevel) {
    head.append(el("span", "today-trend-head", "Trend today"));
  }
  return head;
}

// "Since 00:00 Europe/London · as of 14:03:00".
export function asOfWords(data) {
  const asOf = parseTime(data && data.as_of);
  if (asOf === null) {
    return "";
  }
  const zone = data.time_zone ? ` ${data.time_zone}` : "";
  return `Since midnight${zone} · as of ${formatClock(new Date(asOf))}`;
}

// How many rows fit the height on one page at the largest readable size, a row
// taking at least `leastEm` of its own em across.
export function fitRows(count, height, screenHeight, width = Infinity, leastEm = 36) {
  const minFont = (MIN_FONT_VH / 100) * screenHeight;
  const maxFont = (MAX_FONT_VH / 100) * screenHeight;
  const fits = Math.min(height / (count * ROW_EM + HEAD_EM), width / leastEm);
  const font = Math.max(minFont, Math.min(maxFont, fits));
  const perPage = Math.max(1, Math.floor((height / font - HEAD_EM) / ROW_EM));
  return { font, perPage, pages: Math.max(1, Math.ceil(count / perPage)) };
}

export function createPanel(host, panel, context) {
  const tv = context.screen === "tv";
  const root = el("div", `today today-${tv ? "tv" : "supervisor"}`);
  host.append(root);
  const asOf = el("p", "today-as-of");
  root.append(asOf);
  const totalHost = el("div", "today-total-host");
  root.append(totalHost);
  const table = el("div", "today-table");
  table.setAttribute("role", "table");
  const body = el("div", "today-rows");
  table.append(body);
  root.append(table);
  const pager = new Pager();
  let views = [];
  let fitKey = "";
  let columns = columnsOf(null);
  let shapeKey = null;
  let totalView = null;

  // The columns and the grouping set the head, the total's band and the rows' cells:
  // built again when they change (a source's choice changed), never on each update.
  const reshape = (data) => {
    const next = columnsOf(data);
    const grouping = (data && data.grouping) || "QUEUE";
    const key = `${grouping}|${next.key}`;
    if (key === shapeKey) {
      return;
    }
    shapeKey = key;
    columns = next;
    const words = ROW_WORDS[grouping] || ROW_WORDS.QUEUE;
    totalView = new TotalView(columns, words);
    totalHost.replaceChildren(totalView.root);
    table.style.setProperty("--row-columns", rowTemplate(columns));
    table.replaceChildren(headRow(columns, words), body);
    root.dataset.columns = next.key;
    views = [];
    body.replaceChildren();
    fitKey = "";
  };

  const refit = (count) => {
    if (!tv) {
      return;
    }
    const height = table.clientHeight;
    const width = table.clientWidth;
    const key = JSON.stringify([count, height, width, window.innerHeight]);
    if (key === fitKey) {
      return;
    }
    fitKey = key;
    const fit = fitRows(count, height, window.innerHeight, width, rowLeastEm(columns));
    table.style.setProperty("--row-font", `${fit.font.toFixed(1)}px`);
    table.style.setProperty("--rows", String(Math.min(count, fit.perPage)));
    pager.set(fit.perPage, fit.pages);
  };

  return {
    pager: tv ? pager : null,
    emptyText: "Nothing to show: this today source has no queues or routing profiles.",
    render: (data) => {
      const rows = (data && data.rows) || [];
      const dayStart = parseTime(data && data.day_start);
      reshape(data);
      setText(asOf, asOfWords(data));
      totalView.show(data && data.total, dayStart);
      // Shown before it is measured: a hidden table has no height to fit rows in.
      table.hidden = rows.length === 0;
      refit(rows.length);
      const shown = tv ? pager.pick(rows) : rows;
      while (views.length < shown.length) {
        views.push(new RowView(columns));
      }
      shown.forEach((row, index) => views[index].show(row, dayStart));
      const nodes = views.slice(0, shown.length).map((view) => view.root);
      const same =
        nodes.length === body.children.length &&
        nodes.every((node, at) => body.children[at] === node);
      if (!same) {
        body.replaceChildren(...nodes);
      }
      root.dataset.rows = String(rows.length);
    },
    catchUp: () => false,
    // The width at which a row reads at the smallest readable size, never so
    // much that a panel beside it cannot be read.
    widthWanted: () => {
      const font = (MIN_FONT_VH / 100) * window.innerHeight;
      const wanted = rowLeastEm(columns) * ROW_WIDTH_OVER_LEAST;
      return Math.min(window.innerWidth * MOST_OF_SCREEN, wanted * font);
    },
  };
}
