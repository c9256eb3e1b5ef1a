// How many tiles go on one TV page, in what grid, at what size. Pure
// arithmetic on the screen's size, so a 1920x1080 and a 3840x2160 screen
// get the same picture, only sharper.
//
// Sizes are in units of the value font size v. A tile is: padding, the queue
// name, then its metrics in a grid of cells, each cell a label over a value.

const TILE_PAD_Y = 0.32;
const TILE_PAD_X = 0.4;
const NAME_HEIGHT = 0.76;
const CELL_HEIGHT = 1.48;
const CELL_GAP_Y = 0.12;
const CELL_GAP_X = 0.4;
const CUE_WIDTH = 0.7;

export const MAX_TILES_PER_PAGE = 40;
// Up to 40 queues share a page, unless their numbers would be smaller than
// this (a share of the screen's height: about 2 cm on a 55-inch screen), the
// least that still reads across a room; then they go over several pages.
export const MIN_VALUE_SHARE = 0.03;
export const MAX_VALUE_SHARE = 0.12;

// The characters a value of this unit needs: "12:34" (a colon is narrower
// than a digit), "100%", "123".
export function charsFor(unit) {
  return unit === "SECONDS" ? 4.5 : unit === "PERCENT" ? 4 : 3;
}

// The metric grid's width when the metrics fill `metricCols` equal columns,
// each as wide as the widest value needs. `digit` is the width of a digit in
// the value font, measured on the screen itself.
function gridWidth(chars, metricCols, digit) {
  const widest = (chars.length ? Math.max(...chars) : 3) * digit + CUE_WIDTH;
  return metricCols * widest + (metricCols - 1) * CELL_GAP_X;
}

// Grids whose values are within this share of the largest possible count as
// equally good; of those, the one with the fewest empty slots wins, then the
// one whose tiles stack the fewest rows of metrics (a tile reads like a line
// of a table, not like a column).
const NEAR_BEST = 0.92;

function best(count, chars, { width, height, gap, digit }, floor) {
  const candidates = [];
  const metrics = Math.max(1, chars.length);
  for (let cols = 1; cols <= count; cols += 1) {
    const rows = Math.ceil(count / cols);
    const tileWidth = (width - gap * (cols - 1)) / cols;
    const tileHeight = (height - gap * (rows - 1)) / rows;
    for (let metricCols = 1; metricCols <= metrics; metricCols += 1) {
      const metricRows = Math.ceil(metrics / metricCols);
      const needHeight =
        2 * TILE_PAD_Y + NAME_HEIGHT + metricRows * CELL_HEIGHT + (metricRows - 1) * CELL_GAP_Y;
      const needWidth = 2 * TILE_PAD_X + gridWidth(chars, metricCols, digit);
      const value = Math.min(tileHeight / needHeight, tileWidth / needWidth);
      candidates.push({ cols, rows, metricCols, metricRows, value, empty: cols * rows - count });
    }
  }
  const top = Math.max(...candidates.map((c) => c.value));
  // Never trade a readable size for a tidier grid.
  const enough = Math.max(NEAR_BEST * top, Math.min(floor, top));
  const good = candidates.filter((c) => c.value >= enough);
  good.sort((a, b) => a.empty - b.empty || a.metricRows - b.metricRows || b.value - a.value);
  return good[0];
}

// The grid for `count` tiles of the metrics whose value widths are `chars`,
// in a board of `width` x `height` on a screen `screenHeight` tall, with
// `gap` between tiles and digits `digit` value sizes wide: as many tiles per
// page as stay readable, never more than 40.
export function fitTiles(count, chars, board) {
  const minValue = MIN_VALUE_SHARE * board.screenHeight;
  const maxValue = MAX_VALUE_SHARE * board.screenHeight;
  const total = Math.max(1, count);
  let perPage = Math.min(total, MAX_TILES_PER_PAGE);
  let fit = best(perPage, chars, board, minValue);
  while (perPage > 1 && fit.value < minValue) {
    perPage -= 1;
    fit = best(perPage, chars, board, minValue);
  }
  const pages = Math.ceil(total / perPage);
  // Spread the tiles evenly over the pages rather than leave a last page
  // with one lonely queue.
  const even = Math.ceil(total / pages);
  if (even !== perPage) {
    fit = best(even, chars, board, minValue);
  }
  return { ...fit, value: Math.min(fit.value, maxValue), perPage: even, pages };
}
