// The TV's totals band: the whole centre's numbers at a glance, for the
// metrics whose total means something (the server leaves out the others).

import { el, levelCue, setLevel } from "./dom.js";
import { formatValue } from "./format.js";
import { levelOf } from "./model.js";

export class TotalsBand {
  constructor(host) {
    this.host = host;
    this.cells = new Map();
    this.key = "";
  }

  render(totals, columns) {
    const values = (totals && totals.values) || {};
    const shown = columns.filter((column) => column.name in values);
    const key = JSON.stringify(shown);
    if (key !== this.key) {
      this.key = key;
      this.cells.clear();
      this.host.replaceChildren(...shown.map((column) => this.createCell(column)));
    }
    this.host.hidden = shown.length === 0;
    for (const column of shown) {
      const cell = this.cells.get(column.name);
      const text = formatValue(values[column.name], column.unit);
      if (cell.text !== text) {
        cell.text = text;
        cell.value.textContent = text;
      }
      setLevel(cell.root, cell.cue, levelOf(totals.levels, column.name));
    }
  }

  createCell(column) {
    const root = el("div", "total");
    root.dataset.metric = column.name;
    const line = el("span", "total-line");
    const cue = levelCue();
    const value = el("span", "value");
    line.append(cue.cue, value);
    root.append(el("span", "total-label", column.label), line);
    this.cells.set(column.name, { root, cue, value, text: null });
    return root;
  }
}
