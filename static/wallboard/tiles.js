// The TV's tiles: one per queue, its name on top and its metrics below in
// large digits. Tiles are kept per place on the screen, not per queue: when
// the order changes or the next page of queues comes up, the same elements
// take the new names and numbers, so a page turn builds nothing and only
// changed text and classes are written.

import { el, levelCue, setLevel } from "./dom.js";
import { charsFor, fitTiles } from "./fit.js";
import { formatValue } from "./format.js";
import { levelOf, worstLevel } from "./model.js";
import { Pager } from "./paging.js";

// The tiles layout of a panel (the TV's): as many tiles a page as stay
// readable across a room, in a grid that fills the panel.
export function createPanel(host, panel, context) {
  const grid = el("div", "tiles");
  host.append(grid);
  const board = new TileBoard(grid);
  const pager = new Pager();
  let fitKey = "";
  const wanted = { key: "", width: 0 };
  const refit = (count, columns) => {
    const width = host.clientWidth;
    const height = host.clientHeight;
    const key = JSON.stringify([count, columns, width, height]);
    if (key === fitKey) {
      return;
    }
    fitKey = key;
    const gap = Math.round(window.innerHeight * 0.009);
    const fit = fitTiles(
      count,
      columns.map((c) => charsFor(c.unit)),
      {
        width,
        height,
        gap,
        screenHeight: window.innerHeight,
        digit: digitWidth(grid),
      },
    );
    const style = grid.style;
    style.setProperty("--cols", fit.cols);
    style.setProperty("--rows", fit.rows);
    style.setProperty("--metric-cols", fit.metricCols);
    style.setProperty("--v", `${fit.value.toFixed(1)}px`);
    style.setProperty("--gap", `${gap}px`);
    pager.set(fit.perPage, fit.pages);
  };
  return {
    pager,
    render: (data, columns) => {
      const rows = data && data.rows ? data.rows : [];
      refit(rows.length, columns);
      board.render(pager.pick(rows), columns);
    },
    catchUp: () => false,
    // The narrowest width (px) at which `count` tiles of these columns fit on
    // one page, readable, in a board `height` tall.
    widthWanted: (count, columns, height) => {
      const key = JSON.stringify([count, columns, height, window.innerWidth]);
      if (key !== wanted.key) {
        wanted.key = key;
        wanted.width = narrowestWidth(count, columns, height, grid);
      }
      return wanted.width;
    },
  };
}

function narrowestWidth(count, columns, height, grid) {
  const chars = columns.map((c) => charsFor(c.unit));
  const board = {
    height,
    gap: Math.round(window.innerHeight * 0.009),
    screenHeight: window.innerHeight,
    digit: digitWidth(grid),
  };
  let low = 0.05 * window.innerWidth;
  let high = window.innerWidth;
  if (fitTiles(count, chars, { ...board, width: high }).pages > 1) {
    return high;
  }
  while (high - low > 8) {
    const width = (low + high) / 2;
    if (fitTiles(count, chars, { ...board, width }).pages > 1) {
      low = width;
    } else {
      high = width;
    }
  }
  return high;
}

// The width of a digit as a share of the font size, in the font this screen
// actually has (a TV may lack the fonts the stylesheet prefers).
function digitWidth(host) {
  const probe = document.createElement("canvas").getContext("2d");
  probe.font = `900 100px ${getComputedStyle(host).fontFamily}`;
  return probe.measureText("0").width / 100;
}

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
