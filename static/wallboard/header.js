// The parts of a page around the panels: the title, the time of the data
// (the oldest numbers on screen), the ticker line. Shared by both views.

import { setText } from "./dom.js";
import { formatClock } from "./format.js";

export function renderSurroundings(state, dataTime) {
  const title = document.getElementById("board-title");
  setText(title, state.wallboard.title || "");
  const time = document.getElementById("data-time");
  setText(time, dataTime === null ? "–" : formatClock(new Date(dataTime)));
  if (dataTime !== null) {
    time.dateTime = new Date(dataTime).toISOString();
  }
  renderTicker(state.wallboard.ticker || "");
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
