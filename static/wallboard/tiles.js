// The TV's tiles: one per queue, its name on top and its metrics below in
// large digits. Tiles are kept per place on the screen, not per queue: when
// the order changes or the next page of queues comes up, the same elements
// take the new names and numbers, so a page turn builds nothing and only
// changed text and classes are written.

import { el, levelCue, setLevel } from "./dom.js";
import { formatValue } from "./format.js";
import { levelOf, worstLevel } from "./model.js";

export class TileBoard {
  constructor(host) {
    this.host = host;
    this.tiles = [];
    this.columnsKey = "";
  }

  render(rows, columns) {
    const columnsKey = JSON.stringify(columns);
    if (columnsKey !== this.columnsKey) {
      this.columnsKey = columnsKey;
      this.host.replaceChildren();
      this.tiles = [];
    }
    while (this.tiles.length < rows.length) {
      const tile = createTile(columns);
      this.tiles.push(tile);
      this.host.append(tile.root);
    }
    while (this.tiles.length > rows.length) {
      this.tiles.pop().root.remove();
    }
    rows.forEach((row, index) => fillTile(this.tiles[index], row));
  }
}

function createTile(columns) {
  const root = el("article", "tile");
  const name = el("h2", "tile-name");
  const metrics = el("div", "tile-metrics");
  const cells = columns.map((column) => {
    const cell = el("div", `metric unit-${column.unit}`);
    cell.dataset.metric = column.name;
    const label = el("span", "metric-label", column.label);
    const line = el("span", "metric-line");
    const cue = levelCue();
    const value = el("span", "value");
    line.append(cue.cue, value);
    cell.append(label, line);
    metrics.append(cell);
    return { cell, cue, value, text: null, column };
  });
  root.append(name, metrics);
  return { root, name, nameText: null, cells, level: null };
}

function fillTile(tile, row) {
  if (tile.root.dataset.key !== row.key) {
    tile.root.dataset.key = row.key;
  }
  if (tile.nameText !== row.label) {
    tile.nameText = row.label;
    tile.name.textContent = row.label;
  }
  const values = row.values || {};
  const levels = row.levels || {};
  for (const cell of tile.cells) {
    const name = cell.column.name;
    const text = formatValue(values[name], cell.column.unit);
    if (cell.text !== text) {
      cell.text = text;
      cell.value.textContent = text;
    }
    setLevel(cell.cell, cell.cue, levelOf(levels, name));
  }
  const worst = worstLevel(levels);
  if (tile.level !== worst) {
    if (tile.level) {
      tile.root.classList.remove(`tile-${tile.level}`);
    }
    tile.root.classList.add(`tile-${worst}`);
    tile.level = worst;
  }
}
