// The TV view: no chrome, tiles (or a large table) that fill the screen,
// pages that rotate when the queues do not fit, a clock, the ticker, a chime
// on a new critical breach, and an optional rotation through wallboards.

import { formatClock } from "./format.js";
import { charsFor, fitTiles } from "./fit.js";
import { renderSurroundings } from "./header.js";
import { columnsOf, newCriticalCount } from "./model.js";
import { readConfig, WallboardPage } from "./page.js";
import { QueueTable } from "./queue-table.js";
import { BreachChime } from "./sound.js";
import { TileBoard } from "./tiles.js";
import { TotalsBand } from "./totals.js";

// How long each page of queues stays up when they do not fit on one.
const PAGE_SECONDS = 10;
// A table row on the TV, as a share of the screen's height.
const TABLE_ROW_SHARE = 0.07;

const config = readConfig();
const params = new URLSearchParams(window.location.search);
const themeChosenInUrl = params.has("theme");
const board = document.getElementById("board");
const totals = new TotalsBand(document.getElementById("totals"));
const chime = new BreachChime(document.getElementById("enable-sound"));

let layout = null;
let fit = { perPage: 1, pages: 1 };
let fitKey = "";
let pageIndex = 0;
let pageShownAt = Date.now();
let boardShownAt = Date.now();

function buildLayout(kind) {
  for (const node of board.querySelectorAll(".tiles, .tv-table")) {
    node.remove();
  }
  if (kind === "table") {
    const table = document.createElement("table");
    table.className = "tv-table queue-table";
    board.append(table);
    const view = new QueueTable(table, {
      catalogue: config.catalogue,
      groupingLabels: config.grouping_labels,
      sortable: false,
      pick: (rows) => currentPage(rows),
    });
    return { kind, render: (state) => view.render(state), catchUp: () => view.catchUp() };
  }
  const host = document.createElement("div");
  host.className = "tiles";
  board.append(host);
  const tiles = new TileBoard(host);
  return {
    kind,
    host,
    render: (state, columns) => tiles.render(currentPage(state.data ? state.data.rows : []), columns),
    catchUp: () => false,
  };
}

function currentPage(rows) {
  const start = pageIndex * fit.perPage;
  return rows.slice(start, start + fit.perPage);
}

// Recompute the grid only when what it depends on changes: the number of
// queues, the columns, the board's size.
function refit(state, columns) {
  const rows = state.data && state.data.rows ? state.data.rows.length : 0;
  const width = board.clientWidth;
  const height = board.clientHeight;
  const key = JSON.stringify([layout.kind, rows, columns, width, height]);
  if (key === fitKey) {
    return;
  }
  fitKey = key;
  if (layout.kind === "table") {
    const perPage = Math.max(1, Math.floor(height / (TABLE_ROW_SHARE * window.innerHeight)) - 1);
    const capped = Math.min(perPage, 40);
    const pages = Math.max(1, Math.ceil(rows / capped));
    fit = { perPage: Math.ceil(rows / pages) || 1, pages };
  } else {
    const gap = Math.round(window.innerHeight * 0.009);
    fit = fitTiles(rows, columns.map((c) => charsFor(c.unit)), {
      width,
      height,
      gap,
      screenHeight: window.innerHeight,
      digit: digitWidth(layout.host),
    });
    const style = layout.host.style;
    style.setProperty("--cols", fit.cols);
    style.setProperty("--rows", fit.rows);
    style.setProperty("--metric-cols", fit.metricCols);
    style.setProperty("--v", `${fit.value.toFixed(1)}px`);
    style.setProperty("--gap", `${gap}px`);
  }
  pageIndex = Math.min(pageIndex, fit.pages - 1);
}

// The width of a digit as a share of the font size, in the font this screen
// actually has (a TV may lack the fonts the stylesheet prefers).
function digitWidth(host) {
  const probe = document.createElement("canvas").getContext("2d");
  probe.font = `900 100px ${getComputedStyle(host).fontFamily}`;
  return probe.measureText("0").width / 100;
}

function renderPageIndicator() {
  const indicator = document.getElementById("page-indicator");
  indicator.hidden = fit.pages < 2;
  const text = `Page ${pageIndex + 1} of ${fit.pages}`;
  if (indicator.textContent !== text) {
    indicator.textContent = text;
  }
}

function applyTheme(state) {
  if (themeChosenInUrl) {
    return;
  }
  const theme = state.wallboard.theme === "light" ? "light" : "dark";
  document.body.classList.toggle("theme-light", theme === "light");
  document.body.classList.toggle("theme-dark", theme === "dark");
}

function render(state) {
  const kind = state.wallboard.layout === "table" ? "table" : "tiles";
  if (layout === null || layout.kind !== kind) {
    layout = buildLayout(kind);
    fitKey = "";
    document.body.classList.toggle("layout-table", kind === "table");
    document.body.classList.toggle("layout-tiles", kind === "tiles");
  }
  applyTheme(state);
  renderSurroundings(state);
  const columns = columnsOf(state, config.catalogue);
  totals.render(state.data ? state.data.totals : null, columns);
  refit(state, columns);
  layout.render(state, columns);
  renderPageIndicator();
  chime.setWanted(Boolean(state.wallboard.sound_on_critical));
}

// The wallboards this screen rotates through: its own first, then the
// rotation list of the wallboard whose display token it shows.
function rotationCycle(state) {
  const owner = config.rotation_owner;
  const list = owner === config.wallboard.slug ? state.wallboard.rotation : config.wallboard.rotation;
  return [owner, ...(list || []).map((w) => w.slug).filter((slug) => slug !== owner)];
}

function nextWallboardUrl(state) {
  const cycle = rotationCycle(state);
  if (cycle.length < 2) {
    return null;
  }
  const here = cycle.indexOf(config.wallboard.slug);
  const next = cycle[(here + 1) % cycle.length];
  const url = new URL(config.tv_path.replace("-slug-", next), window.location.href);
  for (const name of ["token", "theme"]) {
    if (params.has(name)) {
      url.searchParams.set(name, params.get(name));
    }
  }
  if (params.has("token") && next !== config.rotation_owner) {
    url.searchParams.set("via", config.rotation_owner);
  }
  return url.toString();
}

function tick(now) {
  const clock = document.getElementById("clock");
  const text = formatClock(now);
  if (clock.textContent !== text) {
    clock.textContent = text;
    clock.dateTime = now.toISOString();
  }
  const state = page.state;
  const shownFor = Date.now() - pageShownAt;
  if (fit.pages > 1 && shownFor >= PAGE_SECONDS * 1000) {
    pageIndex = (pageIndex + 1) % fit.pages;
    pageShownAt = Date.now();
    page.requestRender();
  }
  // Another wallboard comes up once this one's time is up and it has shown
  // all its pages.
  const pagesTime = fit.pages > 1 ? fit.pages * PAGE_SECONDS : 0;
  const boardTime = Math.max(state.wallboard.rotation_seconds || 30, pagesTime);
  if (Date.now() - boardShownAt >= boardTime * 1000) {
    const next = nextWallboardUrl(state);
    boardShownAt = Date.now();
    if (next !== null && !document.body.dataset.refused) {
      window.location.assign(next);
    }
  }
}

const page = new WallboardPage(config, {
  render,
  catchUp: () => layout !== null && layout.catchUp(),
  onTick: tick,
  onData: (previous, next) => {
    if (newCriticalCount(previous, next) > 0) {
      chime.play();
    }
  },
});
window.wallboardPage = page;
window.wallboardChime = chime;
window.addEventListener("resize", () => {
  fitKey = "";
  page.requestRender();
});
page.start();
