// A trend line over the last 60 minutes (or, on a server up for less, since
// its first numbers), drawn as SVG paths.
//
// The paths are drawn in data coordinates (x in seconds since the page
// opened, y the negated value) and the viewBox does the scaling, so a point
// keeps the same path text from update to update. The line is two paths: the
// finished 30-second buckets, which change only when a bucket rolls over, and
// the live segment into the newest point, which changes with every poll.
// Redrawing 100 rows' trend lines is then mostly a few short strings, which
// keeps an update inside one frame on a TV's CPU. The y axis starts at zero,
// so a queue of 2 never looks like a crisis.

import { svg } from "./dom.js";
import { TREND_WINDOW_MS } from "./state.js";

const WINDOW_SECONDS = TREND_WINDOW_MS / 1000;
// Two or three points make a tick, not a trend: a line is drawn once it
// covers three minutes.
const MIN_SPAN_MS = 3 * 60 * 1000;
// Seconds are counted from the page's opening so that the coordinates stay
// small: SVG computes in single precision.
const EPOCH_MS = Date.now();
const pieces = new WeakMap();

function piece(point) {
  let text = pieces.get(point);
  if (text === undefined) {
    text = `${Math.round((point[0] - EPOCH_MS) / 1000)},${-point[1]}`;
    pieces.set(point, text);
  }
  return text;
}

function xOf(point) {
  return Math.round((point[0] - EPOCH_MS) / 1000);
}

export function createSparkline() {
  const root = svg("svg", {
    class: "spark",
    viewBox: `0 -1 ${WINDOW_SECONDS} 1`,
    preserveAspectRatio: "none",
    "aria-hidden": "true",
    focusable: "false",
  });
  const history = svg("path", { class: "spark-line", d: "" });
  const live = svg("path", { class: "spark-line", d: "" });
  root.append(history, live);
  return { root, history, live, series: null, head: null, tail: null, box: "", drawn: false };
}

function showDrawn(spark, drawn) {
  if (spark.drawn !== drawn) {
    spark.drawn = drawn;
    spark.root.classList.toggle("has-trend", drawn);
  }
}

export function drawSparkline(spark, series) {
  if (spark.series === series) {
    return;
  }
  spark.series = series;
  const known = (series || []).filter((point) => point[1] !== null);
  if (known.length < 2 || known[known.length - 1][0] - known[0][0] < MIN_SPAN_MS) {
    if (spark.head !== null || spark.drawn) {
      spark.head = spark.tail = null;
      spark.history.setAttribute("d", "");
      spark.live.setAttribute("d", "");
      showDrawn(spark, false);
    }
    return;
  }
  showDrawn(spark, true);
  const last = known[known.length - 1];
  const previous = known[known.length - 2];
  // The finished buckets are redrawn only when one was added or dropped.
  if (spark.head !== known[0] || spark.tail !== previous) {
    spark.head = known[0];
    spark.tail = previous;
    spark.history.setAttribute("d", `M${known.slice(0, -1).map(piece).join("L")}`);
  }
  spark.live.setAttribute("d", `M${piece(previous)}L${piece(last)}`);
  let top = 1;
  for (const point of known) {
    if (point[1] > top) {
      top = point[1];
    }
  }
  // A little room above the highest point so the line is never clipped.
  const height = top * 1.08;
  const right = xOf(last);
  const left = Math.max(right - WINDOW_SECONDS, xOf(known[0]));
  const box = `${left} ${-height} ${right - left} ${height}`;
  if (box !== spark.box) {
    spark.box = box;
    spark.root.setAttribute("viewBox", box);
  }
}
