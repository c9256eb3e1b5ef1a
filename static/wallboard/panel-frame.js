// One panel on a page: its title, its source's stale banner, the layout's
// drawing, and on the TV its totals band and page indicator. The page makes
// one per panel of the wallboard message (page.js); the layout module draws
// inside it (layouts.js).

import { el, setText } from "./dom.js";
import { columnsOf } from "./model.js";
import { sourceOf } from "./state.js";
import { TotalsBand } from "./totals.js";

const EMPTY = "No queues to show: the queue filter matches none right now.";

export class PanelFrame {
  constructor(panel, layout, create, { context, totals }) {
    this.panel = panel;
    this.layout = layout;
    this.data = null;
    this.root = el("section", "panel");
    this.root.dataset.panel = String(panel.id);
    this.root.dataset.source = String(sourceOf(panel));
    this.root.dataset.layout = layout;
    const head = el("header", "panel-head");
    this.title = el("h2", "panel-title");
    this.pageText = el("p", "panel-page");
    this.pageText.hidden = true;
    head.append(this.title, this.pageText);
    this.head = head;
    this.root.append(head);
    if (totals) {
      const band = el("section", "panel-totals");
      band.setAttribute("aria-label", "Totals");
      band.hidden = true;
      this.totals = new TotalsBand(band);
      this.root.append(band);
    } else {
      this.totals = null;
    }
    const board = el("div", "panel-board");
    this.banner = el("div", "stale-banner");
    this.banner.setAttribute("role", "status");
    this.banner.setAttribute("aria-live", "polite");
    this.banner.hidden = true;
    const host = el("div", "panel-host");
    this.host = host;
    this.empty = el("p", "empty", EMPTY);
    this.empty.hidden = true;
    board.append(this.banner, host, this.empty);
    this.root.append(board);
    this.view = create(host, panel, context);
    if (this.view.emptyText) {
      setText(this.empty, this.view.emptyText);
    }
  }

  // `alone`: the wallboard's only panel, which looks as a wallboard did before
  // panels (no title of its own).
  render(panel, data, alone, catalogue) {
    this.panel = panel;
    this.data = data;
    setText(this.title, panel.title);
    this.title.hidden = alone;
    const columns = columnsOf(panel, data, catalogue);
    if (this.totals) {
      // One row (a queue filter with no grouping): its tile already is the total.
      const several = Boolean(data && data.rows && data.rows.length > 1);
      this.totals.render(several ? data.totals : null, columns);
    }
    this.view.render(data, columns);
    const pager = this.view.pager;
    const paged = Boolean(pager && pager.pages > 1);
    this.pageText.hidden = !paged;
    if (paged) {
      setText(this.pageText, `Page ${pager.index + 1} of ${pager.pages}`);
    }
    this.head.hidden = alone && !paged;
    // Before the first numbers the banner says what the panel waits for;
    // this says when the numbers have come and there are no rows in them.
    const items = data ? data.rows || data.agents || [] : [];
    this.empty.hidden = !data || !data.fetched_at || items.length > 0;
    this.root.dataset.rows = String(items.length);
    if (data) {
      this.root.dataset.seq = String(data.seq);
    }
  }

  // The width (px) this panel reads at, its rows all on one page: what the TV
  // splits its screen by.
  widthWanted(panel, data, catalogue) {
    const rows = data ? (data.rows || data.agents || [null]).length : 1;
    const columns = columnsOf(panel, data, catalogue);
    const wanted = this.view.widthWanted(rows, columns, this.host.clientHeight);
    return this.chrome() + wanted;
  }

  // The least it takes beside other panels: its whole title (the title's
  // scrollWidth is the text's even while cut short).
  widthNeeded() {
    return this.chrome() + (this.title.hidden ? 0 : this.title.scrollWidth);
  }

  chrome() {
    const box = getComputedStyle(this.root);
    return ["paddingLeft", "paddingRight", "borderLeftWidth", "borderRightWidth"]
      .map((side) => parseFloat(box[side]) || 0)
      .reduce((sum, width) => sum + width, 0);
  }

  showFreshness(fresh) {
    this.root.dataset.freshness = fresh.kind;
    setText(this.banner, fresh.text);
    this.banner.hidden = fresh.live;
  }
}
