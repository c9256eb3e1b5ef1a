// The queue table: a row per queue (or grouping value), a column per metric,
// a totals row. Rows are keyed DOM that is reused from update to update; only
// text, classes and trend lines that changed are touched.
//
// An update writes the rows on screen at once, and the rows out of sight a
// few per frame in the frames after it (the page calls catchUp), or as soon
// as they scroll near the screen. So an update of 100 rows costs one frame of
// the rows a supervisor can see, and every row's numbers are current a moment
// later, for screen readers and find-in-page too.
//
// Every element carries its ARIA table role: the supervisor's stylesheet lays
// rows out as grids (so rows out of sight can skip rendering), and a table
// whose CSS display is changed loses its table semantics in some browsers.

import { el, levelCue, setLevel } from "./dom.js";
import { formatValue } from "./format.js";
import { levelOf, sortRows, trendMetricsOf, worstLevel } from "./model.js";
import { Pager } from "./paging.js";
import { createSparkline, drawSparkline } from "./sparkline.js";

const TOTALS_KEY = "\u0000totals";
// Rows out of sight are written as they scroll this close to the screen.
const NEAR_SCREEN_PX = 200;
// Rows out of sight written per frame between updates: a small layout each.
const CATCH_UP_ROWS = 10;
// A table row on the TV, as a share of the screen's height.
const TV_ROW_SHARE = 0.07;
const TV_MAX_ROWS = 40;
// The widths a TV table's name column and each metric column read at, as
// shares of the screen's height (its digits are 4.2% of it).
const TV_LABEL_SHARE = 0.3;
const TV_COLUMN_SHARE = 0.17;

// The table layout of a panel: sortable on the supervisor view, paged on the TV.
export function createPanel(host, panel, context) {
  const table = el("table", context.screen === "tv" ? "tv-table queue-table" : "queue-table");
  const caption = el("caption", "visually-hidden", `${panel.title}: live numbers per queue`);
  table.append(caption);
  host.append(table);
  if (context.screen !== "tv") {
    const view = new QueueTable(table, {
      groupingLabels: context.groupingLabels,
      sortable: true,
      initialSort: context.sortFor(panel),
      onSort: (sort) => context.onSort(panel, sort),
    });
    return { render: (data, columns) => view.render(data, columns), catchUp: () => view.catchUp() };
  }
  const pager = new Pager();
  const view = new QueueTable(table, {
    groupingLabels: context.groupingLabels,
    sortable: false,
    pick: (rows) => pager.pick(rows),
  });
  return {
    pager,
    render: (data, columns) => {
      const rows = data && data.rows ? data.rows.length : 0;
      const fits = Math.floor(host.clientHeight / (TV_ROW_SHARE * window.innerHeight)) - 1;
      const perPage = Math.min(Math.max(1, fits), TV_MAX_ROWS);
      const pages = Math.max(1, Math.ceil(rows / perPage));
      pager.set(Math.ceil(rows / pages) || 1, pages);
      view.render(data, columns);
    },
    catchUp: () => view.catchUp(),
    // A row's name and its columns at the TV table's size: the width it reads at.
    widthWanted: (count, columns) =>
      window.innerHeight * (TV_LABEL_SHARE + columns.length * TV_COLUMN_SHARE),
  };
}

export class QueueTable {
  // `sortable` gives the header buttons that sort by a column, and `onSort`
  // hears of a new order; `pick` chooses the rows shown (the TV shows one
  // page of them at a time).
  constructor(table, { groupingLabels, sortable, initialSort, onSort, pick }) {
    this.table = table;
    this.groupingLabels = groupingLabels;
    this.sortable = sortable;
    this.sort = initialSort || null;
    this.onSort = onSort || (() => {});
    this.pick = pick || ((rows) => rows);
    this.thead = table.createTHead();
    this.tbody = table.tBodies[0] || table.createTBody();
    this.tfoot = table.createTFoot();
    table.setAttribute("role", "table");
    for (const group of [this.thead, this.tbody, this.tfoot]) {
      group.setAttribute("role", "rowgroup");
    }
    this.layoutKey = "";
    this.columns = [];
    this.rows = new Map();
    this.totals = null;
    // Rows whose newest numbers are not written yet.
    this.behind = new Set();
    this.observer =
      "IntersectionObserver" in window
        ? new IntersectionObserver((entries) => this.seen(entries), {
            rootMargin: `${NEAR_SCREEN_PX}px`,
          })
        : null;
  }

  seen(entries) {
    for (const entry of entries) {
      const view = this.rows.get(entry.target.dataset.key);
      if (entry.isIntersecting && view && this.behind.has(view)) {
        this.fillRow(view);
      }
    }
  }

  render(data, columns) {
    const trends = trendMetricsOf(data);
    const shownGroupings = data && data.groupings;
    const groupings = shownGroupings && shownGroupings.length ? shownGroupings : ["QUEUE"];
    const layoutKey = JSON.stringify([columns, [...trends].sort(), groupings]);
    if (layoutKey !== this.layoutKey) {
      this.layoutKey = layoutKey;
      this.rebuild(columns, trends, groupings);
    }
    const rows = data ? this.pick(sortRows(data.rows || [], this.sort)) : [];
    this.renderRows(rows, data ? data.trends || {} : {});
    const showTotals = Boolean(data && data.totals && (data.rows || []).length > 1);
    this.tfoot.hidden = !showTotals;
    if (showTotals) {
      this.totals.row = { label: "Total", ...data.totals };
      this.fillRow(this.totals);
    }
    this.table.dataset.rows = String(rows.length);
  }

  rebuild(columns, trends, groupings) {
    this.columns = columns.map((column) => ({ ...column, trend: trends.has(column.name) }));
    this.table.style.setProperty("--metric-columns", String(this.columns.length));
    for (const view of this.rows.values()) {
      this.forget(view);
    }
    this.rows.clear();
    this.thead.replaceChildren(this.headerRow(groupings));
    this.totals = this.createRow(TOTALS_KEY);
    this.totals.tr.classList.add("totals");
    this.tfoot.replaceChildren(this.totals.tr);
    this.showSort();
  }

  headerRow(groupings) {
    const tr = el("tr");
    tr.setAttribute("role", "row");
    const label = groupings.map((g) => this.groupingLabels[g] || g).join(" · ");
    tr.append(this.headerCell("label", label, "label"));
    for (const column of this.columns) {
      tr.append(this.headerCell(column.name, column.label, `num unit-${column.unit}`));
    }
    return tr;
  }

  headerCell(key, label, className) {
    const th = el("th", className);
    th.scope = "col";
    th.setAttribute("role", "columnheader");
    th.dataset.sortKey = key;
    if (!this.sortable) {
      th.textContent = label;
      return th;
    }
    const button = el("button", "sort");
    button.type = "button";
    button.append(el("span", "sort-label", label), el("span", "sort-arrow"));
    button.setAttribute("aria-label", `Sort by ${label}`);
    button.addEventListener("click", () => this.sortBy(key));
    th.append(button);
    return th;
  }

  // A first click sorts numbers largest first (the busiest queue on top) and
  // names A to Z; a second click on the same column reverses it. The page
  // renders the new order in its next frame (`onSort`).
  sortBy(key) {
    const same = this.sort && this.sort.by === key;
    this.sort = { by: key, descending: same ? !this.sort.descending : key !== "label" };
    this.showSort();
    this.onSort(this.sort);
  }

  showSort() {
    for (const th of this.thead.querySelectorAll("th")) {
      const sorted = this.sort && this.sort.by === th.dataset.sortKey;
      const direction = sorted ? (this.sort.descending ? "descending" : "ascending") : "none";
      th.setAttribute("aria-sort", direction);
      const arrow = th.querySelector(".sort-arrow");
      if (arrow) {
        arrow.textContent = sorted ? (this.sort.descending ? "▼" : "▲") : "";
      }
    }
  }

  createRow(key) {
    const tr = el("tr");
    tr.setAttribute("role", "row");
    tr.dataset.key = key;
    const label = el("th", "label");
    label.scope = "row";
    label.setAttribute("role", "rowheader");
    tr.append(label);
    const cells = this.columns.map((column) => {
      const td = el("td", `num unit-${column.unit}`);
      td.setAttribute("role", "cell");
      td.dataset.metric = column.name;
      const inner = el("span", "cell");
      const cue = levelCue();
      const value = el("span", "value");
      let spark = null;
      if (column.trend && key !== TOTALS_KEY) {
        spark = createSparkline();
        inner.append(spark.root);
      }
      inner.append(cue.cue, value);
      td.append(inner);
      tr.append(td);
      return { td, cue, value, spark, text: null, column };
    });
    return { tr, label, labelText: null, cells, level: null, row: null, trends: null };
  }

  forget(view) {
    if (this.observer) {
      this.observer.unobserve(view.tr);
    }
    this.behind.delete(view);
    view.tr.remove();
  }

  renderRows(rows, trends) {
    const seen = new Set();
    const body = this.tbody;
    const onScreen = this.onScreen();
    rows.forEach((row, index) => {
      seen.add(row.key);
      let view = this.rows.get(row.key);
      const created = !view;
      if (created) {
        view = this.createRow(row.key);
        this.rows.set(row.key, view);
        if (this.observer) {
          this.observer.observe(view.tr);
        }
      }
      view.row = row;
      view.trends = trends[row.key] || null;
      const shown = onScreen(index);
      // A row a new order brings on screen from far away is drawn in this
      // frame, not left blank until the browser sees it is on screen.
      view.tr.classList.toggle("on-screen", shown);
      if (created || shown) {
        this.fillRow(view);
      } else {
        this.behind.add(view);
      }
      if (body.children[index] !== view.tr) {
        body.insertBefore(view.tr, body.children[index] || null);
      }
    });
    for (const [key, view] of this.rows) {
      if (!seen.has(key)) {
        this.forget(view);
        this.rows.delete(key);
      }
    }
  }

  // Which row positions are on screen, from where the body's rows were laid
  // out in the last frame (all rows have one height: their cells never wrap).
  onScreen() {
    const laidOut = this.tbody.rows.length;
    if (!this.observer || laidOut === 0) {
      return () => true;
    }
    const box = this.tbody.getBoundingClientRect();
    const height = box.height / laidOut;
    if (!height) {
      return () => true;
    }
    const first = Math.floor(-box.top / height);
    const last = Math.ceil((window.innerHeight - box.top) / height);
    return (index) => index >= first && index <= last;
  }

  // Writes a few rows that are out of sight; says whether any are left.
  catchUp() {
    let left = CATCH_UP_ROWS;
    for (const view of this.behind) {
      if (left === 0) {
        break;
      }
      this.fillRow(view);
      left -= 1;
    }
    return this.behind.size > 0;
  }

  fillRow(view) {
    this.behind.delete(view);
    const row = view.row;
    if (view.labelText !== row.label) {
      view.labelText = row.label;
      view.label.textContent = row.label;
      view.label.title = row.label;
    }
    const values = row.values || {};
    const levels = row.levels || {};
    for (const cell of view.cells) {
      const name = cell.column.name;
      const text = name in values ? formatValue(values[name], cell.column.unit) : "";
      if (cell.text !== text) {
        cell.text = text;
        cell.value.textContent = text;
      }
      setLevel(cell.td, cell.cue, levelOf(levels, name));
      if (cell.spark) {
        drawSparkline(cell.spark, view.trends ? view.trends[name] : null);
      }
    }
    const worst = worstLevel(levels);
    if (view.level !== worst) {
      if (view.level) {
        view.tr.classList.remove(`row-${view.level}`);
      }
      view.tr.classList.add(`row-${worst}`);
      view.level = worst;
    }
  }
}
