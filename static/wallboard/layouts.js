// The panel layouts, by the name a panel's `layout` gives. A layout is one
// module exporting `createPanel(host, panel, context)`, which draws one panel
// into `host` and returns
//
//   render(data, columns)  show the source's data (null before its first
//                          snapshot) in the panel's columns
//   catchUp()              do a little deferred work; true while some is left
//   tick()                 (optional) redraw what moves with the clock, every
//                          second (an agent's time in an activity)
//   pager                  (TV only) the rows' pages: { pages, index, turn() }
//   widthWanted(count, columns, height)
//                          (TV only) the width in px at which `count` rows
//                          fit on one page, readable, in a panel `height` tall;
//                          the TV splits its screen between panels by it
//
// `context` is the page's: { screen: "supervisor" | "tv", catalogue,
// groupingLabels, serverNow(), sortFor(panel), onSort(panel, sort) }. A new
// layout is a module beside these, added here.

import { createPanel as agents } from "./agent-grid.js";
import { createPanel as table } from "./queue-table.js";
import { createPanel as tiles } from "./tiles.js";
import { createPanel as today } from "./today.js";

export const LAYOUTS = Object.freeze({ table, tiles, agents, today });
