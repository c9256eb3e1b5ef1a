// The supervisor view: the queue table, sortable, with the data's time and a
// banner whenever the numbers are not live.

import { renderSurroundings } from "./header.js";
import { readConfig, WallboardPage } from "./page.js";
import { QueueTable } from "./queue-table.js";

const config = readConfig();
const sortKey = `wallboard-sort:${config.wallboard.slug}`;

function savedSort() {
  try {
    return JSON.parse(window.localStorage.getItem(sortKey) || "null");
  } catch {
    return null;
  }
}

const table = new QueueTable(document.getElementById("queue-table"), {
  catalogue: config.catalogue,
  groupingLabels: config.grouping_labels,
  sortable: true,
  initialSort: savedSort(),
  onSort: (sort) => {
    window.localStorage.setItem(sortKey, JSON.stringify(sort));
    page.requestRender();
  },
});

const page = new WallboardPage(config, {
  render: (state) => {
    table.render(state);
    renderSurroundings(state);
  },
  catchUp: () => table.catchUp(),
});
window.wallboardPage = page;
page.start();
