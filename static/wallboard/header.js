// The parts of a page around the numbers: the title, the time of the data,
// the ticker line, and the "empty" message. Shared by both views.

import { setText } from "./dom.js";
import { formatClock } from "./format.js";
import { dataTimeOf } from "./freshness.js";

export function renderSurroundings(state) {
  const title = document.getElementById("board-title");
  setText(title, state.wallboard.title || "");
  const data = state.data;
  const dataTime = data ? dataTimeOf(data) : null;
  const time = document.getElementById("data-time");
  setText(time, dataTime === null ? "–" : formatClock(new Date(dataTime)));
  if (dataTime !== null) {
    time.dateTime = new Date(dataTime).toISOString();
  }
  renderTicker(state.wallboard.ticker || "");
  // Before the first numbers the banner says what the screen is waiting for;
  // this says when the numbers have come and there are no rows in them.
  const empty = document.getElementById("empty");
  empty.hidden = !data || !data.fetched_at || (data.rows && data.rows.length > 0);
}

function renderTicker(text) {
  const ticker = document.getElementById("ticker");
  const line = document.getElementById("ticker-text");
  ticker.hidden = text === "";
  if (line.textContent === text) {
    return;
  }
  line.textContent = text;
  // A line longer than the screen scrolls, at a pace a room can read.
  ticker.classList.remove("scrolls");
  if (text && line.scrollWidth > ticker.clientWidth) {
    ticker.style.setProperty("--ticker-seconds", `${Math.max(10, text.length / 6)}s`);
    ticker.classList.add("scrolls");
  }
}
