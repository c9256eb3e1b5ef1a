// The supervisor view: the open alerts, then each panel of the wallboard (a
// queue filter as a queue table, sortable; an agent source as its agent grid;
// a today source as today's KPIs),
// with the data's time and a banner on a panel whose numbers are not live.

import { AlertList } from "./alerts.js";
import { renderSurroundings } from "./header.js";
import { readConfig, WallboardPage } from "./page.js";
import { openAlerts } from "./state.js";

const config = readConfig();

// A panel's sort is kept per wallboard and panel in the browser.
function sortKey(panel) {
  return `wallboard-sort:${config.wallboard.slug}:${panel.id}`;
}

function sortFor(panel) {
  try {
    return JSON.parse(window.localStorage.getItem(sortKey(panel)) || "null");
  } catch {
    return null;
  }
}

const alertList = new AlertList(document.getElementById("alerts"), {
  catalogue: config.catalogue,
  acknowledge: config.acknowledge,
});

const page = new WallboardPage(config, {
  container: document.getElementById("panels"),
  // A queue filter's tiles are a table here; every other layout is its own.
  layoutOf: (panel) => (panel.layout === "tiles" ? "table" : panel.layout),
  context: {
    screen: "supervisor",
    sortFor,
    onSort: (panel, sort) => {
      window.localStorage.setItem(sortKey(panel), JSON.stringify(sort));
      page.requestRender();
    },
  },
  render: (state) => {
    alertList.render(openAlerts(state), page.serverNow());
    renderSurroundings(state, page.oldestDataTime());
  },
  onTick: () => alertList.tick(page.serverNow()),
});
window.wallboardPage = page;
page.start();
