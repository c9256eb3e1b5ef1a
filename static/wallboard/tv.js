// The TV view: no chrome, the wallboard's panels side by side on one
// screen (each in its layout, paged when its rows do not fit), a clock, the
// ticker, a chime on a new critical breach, and an optional rotation through
// wallboards.

import { AlertTicker } from "./alerts.js";
import { formatClock } from "./format.js";
import { renderSurroundings } from "./header.js";
import { newCriticalCount } from "./model.js";
import { readConfig, WallboardPage } from "./page.js";
import { BreachChime } from "./sound.js";
import { dataOf, openAlerts } from "./state.js";

// How long each page of rows stays up when a panel's rows do not fit on one.
const PAGE_SECONDS = 10;
// Up to three panels stand side by side; more share a grid of this many columns.
const SIDE_BY_SIDE = 3;

const config = readConfig();
const params = new URLSearchParams(window.location.search);
const themeChosenInUrl = params.has("theme");
const container = document.getElementById("panels");
const chime = new BreachChime(document.getElementById("enable-sound"));
const alertTicker = new AlertTicker(document.getElementById("alerts"), {
  catalogue: config.catalogue,
});

let pageShownAt = Date.now();
let boardShownAt = Date.now();

// The screen split between the panels: side by side, each as wide as it
// reads at (all its rows on one page, readable) and an equal share of what is
// left, or in proportion when the screen is too narrow for that; a grid of
// equal cells for more than three.
function splitScreen(state) {
  const panels = state.wallboard.panels || [];
  const count = panels.length;
  let columns;
  let rows;
  if (count === 1) {
    columns = "minmax(0, 1fr)";
    rows = "minmax(0, 1fr)";
  } else if (count <= SIDE_BY_SIDE) {
    const frames = panels.map((panel) => page.panels.get(panel.id));
    const wanted = frames.map((frame, n) =>
      frame.widthWanted(panels[n], dataOf(state, panels[n]), config.catalogue),
    );
    const gap = parseFloat(getComputedStyle(container).columnGap) || 0;
    const left = container.clientWidth - gap * (count - 1) - wanted.reduce((a, b) => a + b, 0);
    const share = Math.max(0, left) / count;
    // Never narrower than its title, whatever the other panels want.
    columns = wanted
      .map((width, n) => {
        const least = Math.min(Math.ceil(frames[n].widthNeeded()), container.clientWidth / count);
        return `minmax(${least}px, ${Math.round(width + share)}fr)`;
      })
      .join(" ");
    rows = "minmax(0, 1fr)";
  } else {
    const across = count === 4 ? 2 : SIDE_BY_SIDE;
    columns = `repeat(${across}, minmax(0, 1fr))`;
    rows = `repeat(${Math.ceil(count / across)}, minmax(0, 1fr))`;
  }
  if (container.style.gridTemplateColumns !== columns) {
    container.style.gridTemplateColumns = columns;
  }
  if (container.style.gridTemplateRows !== rows) {
    container.style.gridTemplateRows = rows;
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

// Before the panels measure their room: the open alerts take their lines from it.
function arrange(state) {
  alertTicker.render(openAlerts(state), page.serverNow());
  splitScreen(state);
}

function render(state) {
  applyTheme(state);
  renderSurroundings(state, page.oldestDataTime());
  chime.setWanted(Boolean(state.wallboard.sound_on_critical));
}

// The most pages any panel has: the wallboard stays up until all are shown.
function mostPages() {
  let most = 1;
  for (const frame of page.panels.values()) {
    const pager = frame.view.pager;
    most = Math.max(most, pager ? pager.pages : 1);
  }
  return most;
}

// The wallboards this screen rotates through: its own first, then the
// rotation list of the wallboard whose display token it shows.
function rotationCycle(state) {
  const owner = config.rotation_owner;
  const list =
    owner === config.wallboard.slug ? state.wallboard.rotation : config.wallboard.rotation;
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
  alertTicker.tick(page.serverNow());
  const state = page.state;
  const pages = mostPages();
  if (pages > 1 && Date.now() - pageShownAt >= PAGE_SECONDS * 1000) {
    for (const frame of page.panels.values()) {
      const pager = frame.view.pager;
      if (pager && pager.pages > 1) {
        pager.turn();
      }
    }
    pageShownAt = Date.now();
    page.requestRender();
  }
  // Another wallboard comes up once this one's time is up and every panel
  // has shown all its pages.
  const pagesTime = pages > 1 ? pages * PAGE_SECONDS : 0;
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
  container,
  layoutOf: (panel) => panel.layout,
  context: { screen: "tv" },
  totals: true,
  arrange,
  render,
  onTick: tick,
  onData: (previous, next) => {
    if (newCriticalCount(previous, next) > 0) {
      chime.play();
    }
  },
});
window.wallboardPage = page;
window.wallboardChime = chime;
window.addEventListener("resize", () => page.requestRender());
page.start();
