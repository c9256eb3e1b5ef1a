// The agent grid: one card per agent of an agent source, with the activity the
// Connect console shows (derived on the server from the agent's contacts), the
// time in it ticking on the screen between updates, the hold cue, the current
// contact's channel, queue and concurrency, and the warning and critical cues
// of the queue panels when an activity lasts too long. Counts per activity on
// top are also the legend: colour, a short text badge and the words, so
// colour is never the only cue.
//
// Time in an activity is the server's clock now (the page's clock corrected
// by the offset it measures from every message, context.serverNow) minus the
// activity's start as the server sent it: it ticks without any poll.
//
// TV: the cards fill the panel as large as they stay readable across a room;
// when they do not all fit at that size, the grid turns dense (one line a card:
// the activity's badge, the name and the time, every text at least as large as
// the normal card's smallest), and when even dense cards do not all fit, the
// panel pages through them (tv.js turns the pages); it never scrolls. Only the
// page's agents have a card in the DOM, one card per agent while it stays on
// the page: each card is its own compositor layer, placed by a transform, so an
// update that moves agents a place on (an agent ahead of them changed activity)
// moves their cards without repainting them; only the cards whose agent changed,
// or came onto the page, are written and repainted. A page turn (every card
// new) is written a few rows a frame, so no frame repaints a whole page.
//
// Each card's time moves on at its own second (its activity's start is to the
// millisecond), so the grid ticks several times a second and writes a card's
// time only when what it shows changed: each frame repaints the few cards
// whose second came, never every card at once. An update is such a tick too:
// besides the cards whose agent changed, it writes only the times whose
// second came since the last tick.
// Supervisor: every card, grouped and sorted as chosen.

import { el, levelCue, setAttr, setLevel, setText } from "./dom.js";
import { formatDuration } from "./format.js";
import { Pager } from "./paging.js";

// The console's activities, most urgent first: words, badge, and the order of
// the counts.
export const ACTIVITIES = Object.freeze({
  error: { label: "Error", badge: "ERR" },
  missed: { label: "Missed", badge: "MISS" },
  rejected: { label: "Rejected", badge: "REJ" },
  on_contact: { label: "On contact", badge: "ON" },
  after_contact_work: { label: "After contact work", badge: "ACW" },
  incoming: { label: "Incoming", badge: "IN" },
  custom: { label: "Custom status", badge: "AWAY" },
  available: { label: "Available", badge: "AV" },
  offline: { label: "Offline", badge: "OFF" },
});
const ORDER = Object.keys(ACTIVITIES);

const CHANNEL_WORDS = { VOICE: "Voice", CHAT: "chats", TASK: "tasks" };

export const GROUPINGS = Object.freeze({
  activity: "Activity",
  team: "Team",
  routing_profile: "Routing profile",
});

const LEVEL_RANK = { ok: 0, warning: 1, critical: 2 };

// TV cards: the smallest text (share of the screen height) still read at 5 m
// on a 1080p TV, and the largest worth growing to.
const MIN_FONT_VH = 2.3;
const MAX_FONT_VH = 4.2;
// A card in ems of its text: two lines and padding; a name of ~16 letters.
const CARD_EM = { width: 10.5, height: 3.2 };
// Dense cards: one line (badge, a name of ~14 letters, the time), their text no
// smaller than a normal card's second line at its smallest (0.82 of 2.3%).
const DENSE_MIN_FONT_VH = 2.0;
const DENSE_CARD_EM = { width: 12, height: 1.75 };
// The most of the screen's width the grid asks for beside other panels.
const MOST_OF_SCREEN = 0.72;
// The most cards one frame of the TV writes for agents new to the page; the
// rest follow in the next frames (a page turn: a wipe of about 8 frames).
const NEW_CARDS_PER_FRAME = 16;
const TICKS_PER_SECOND = 5;

// Seconds in the activity, and in hold, now.
function timesOf(agent, now) {
  return {
    activity: Math.max(0, (now - agent.since) / 1000),
    hold:
      agent.on_hold && agent.hold_since !== null && agent.hold_since !== undefined
        ? Math.max(0, (now - agent.hold_since) / 1000)
        : null,
  };
}

// The card's level by the source's thresholds: time in after contact work or
// a custom status, and time on hold; the worst of them.
export function levelOfAgent(agent, thresholds, now) {
  const times = timesOf(agent, now);
  let level = "ok";
  for (const rule of thresholds || []) {
    let seconds = null;
    if (rule.activity === "on_hold") {
      seconds = times.hold;
    } else if (rule.activity === agent.activity) {
      seconds = times.activity;
    }
    if (seconds === null) {
      continue;
    }
    const found = seconds >= rule.critical ? "critical" : seconds >= rule.warning ? "warning" : "ok";
    if (LEVEL_RANK[found] > LEVEL_RANK[level]) {
      level = found;
    }
  }
  return level;
}

export function activityWords(agent) {
  if (agent.activity === "custom") {
    return agent.status || ACTIVITIES.custom.label;
  }
  return (ACTIVITIES[agent.activity] || ACTIVITIES.available).label;
}

// "Voice · Billing", "Chat · Sales · 2 of 3 chats".
export function contactWords(agent) {
  const parts = [];
  if (agent.channel) {
    parts.push(agent.channel.charAt(0) + agent.channel.slice(1).toLowerCase());
  }
  if (agent.queue) {
    parts.push(agent.queue);
  }
  if (agent.capacity > 1) {
    parts.push(`${agent.active} of ${agent.capacity} ${CHANNEL_WORDS[agent.channel] || "contacts"}`);
  }
  return parts.join(" · ");
}

function groupOf(agent, grouping) {
  if (grouping === "team") {
    return agent.team || "No team";
  }
  if (grouping === "routing_profile") {
    return agent.routing_profile || "No routing profile";
  }
  return agent.activity;
}

function groupRank(group, grouping) {
  return grouping === "activity" ? ORDER.indexOf(group) : 0;
}

// Grouped, then the longest in their activity first (the ones to look at).
export function arrange(agents, grouping) {
  return [...agents].sort((a, b) => {
    const ga = groupOf(a, grouping);
    const gb = groupOf(b, grouping);
    if (ga !== gb) {
      const rank = groupRank(ga, grouping) - groupRank(gb, grouping);
      return rank || String(ga).localeCompare(String(gb));
    }
    return a.since - b.since || String(a.name).localeCompare(String(b.name));
  });
}

export function countsOf(agents) {
  const counts = Object.fromEntries(ORDER.map((name) => [name, 0]));
  for (const agent of agents) {
    counts[agent.activity] = (counts[agent.activity] || 0) + 1;
  }
  return counts;
}

// How many cards fit, as large as readable: cols, rows, font (px), pages, and
// whether the cards are dense. Normal cards from the largest size down to the
// smallest readable; then dense ones from that size down to theirs; then pages.
export function fitCards(count, width, height, screenHeight, gap) {
  const minFont = (MIN_FONT_VH / 100) * screenHeight;
  const maxFont = (MAX_FONT_VH / 100) * screenHeight;
  const denseMinFont = (DENSE_MIN_FONT_VH / 100) * screenHeight;
  const shape = (font, card, dense) => {
    const cols = Math.max(1, Math.floor((width + gap) / (card.width * font + gap)));
    const rows = Math.max(1, Math.floor((height + gap) / (card.height * font + gap)));
    return { cols, rows, font, dense };
  };
  for (let font = maxFont; font >= minFont; font -= 1) {
    const fit = shape(font, CARD_EM, false);
    if (fit.cols * fit.rows >= count) {
      return { ...fit, pages: 1 };
    }
  }
  for (let font = minFont; font >= denseMinFont; font -= 1) {
    const fit = shape(font, DENSE_CARD_EM, true);
    if (fit.cols * fit.rows >= count) {
      return { ...fit, pages: 1 };
    }
  }
  const fit = shape(denseMinFont, DENSE_CARD_EM, true);
  return { ...fit, pages: Math.max(1, Math.ceil(count / (fit.cols * fit.rows))) };
}

// The width the cards want to fit one page of `height` at `font`, in cards of `card`.
function widthFor(count, height, gap, font, card) {
  const rows = Math.max(1, Math.floor((height + gap) / (card.height * font + gap)));
  const cols = Math.ceil(Math.max(1, count) / rows);
  return cols * (card.width * font + gap);
}

class AgentCardView {
  constructor() {
    this.root = el("article", "agent-card");
    this.cue = levelCue();
    this.name = el("span", "agent-name");
    this.time = el("time", "agent-time");
    // The activity's badge: shown on dense cards, where it stands for the words.
    this.badge = el("span", "agent-badge agent-card-badge");
    const top = el("div", "agent-line agent-line-top");
    top.append(this.badge, this.name, this.cue.cue, this.time);
    this.activity = el("span", "agent-activity");
    this.hold = el("span", "agent-hold");
    this.hold.hidden = true;
    this.contact = el("span", "agent-contact");
    const bottom = el("div", "agent-line agent-line-bottom");
    bottom.append(this.activity, this.hold, this.contact);
    this.root.append(top, bottom);
    this.agent = null;
    this.activityShown = null;
    // Where the TV shows the card (px from the grid's corner), as last written.
    this.placed = "";
  }

  // Whether the TV shows the card at (x, y).
  at(x, y) {
    return this.placed === `translate(${x}px, ${y}px)`;
  }

  // The TV's place of the card: a transform, which moves its layer without
  // repainting it.
  place(x, y) {
    const placed = `translate(${x}px, ${y}px)`;
    if (this.placed !== placed) {
      this.root.style.transform = placed;
      this.placed = placed;
    }
  }

  // Writes only what differs from the card shown before: an update of 1,000
  // agents changes a few dozen, and an unchanged class or attribute written
  // again would make the browser restyle every card on the page.
  show(agent) {
    this.agent = agent;
    setAttr(this.root, "data-key", agent.key);
    if (this.activityShown !== agent.activity) {
      this.root.classList.remove(`activity-${this.activityShown}`);
      this.root.classList.add(`activity-${agent.activity}`);
      setAttr(this.root, "data-activity", agent.activity);
      this.activityShown = agent.activity;
    }
    setText(this.name, agent.name);
    setAttr(this.name, "title", agent.name);
    const activity = ACTIVITIES[agent.activity] || ACTIVITIES.available;
    setText(this.badge, agent.on_hold ? "HOLD" : activity.badge);
    setAttr(this.badge, "title", activityWords(agent));
    setText(this.activity, activityWords(agent));
    setText(this.contact, contactWords(agent));
    this.root.classList.toggle("on-hold", Boolean(agent.on_hold));
  }

  tick(now, thresholds) {
    const agent = this.agent;
    if (!agent) {
      return;
    }
    const times = timesOf(agent, now);
    // Connect gives no time for an offline agent (not when they logged out): none shown.
    setText(this.time, agent.activity === "offline" ? "" : formatDuration(times.activity));
    if (this.hold.hidden !== (times.hold === null)) {
      this.hold.hidden = times.hold === null;
    }
    if (times.hold !== null) {
      setText(this.hold, `On hold ${formatDuration(times.hold)}`);
    }
    const level = levelOfAgent(agent, thresholds, now);
    setLevel(this.root, this.cue, level);
    setAttr(this.root, "data-level", level);
  }
}

// The counts per activity, which are also the legend.
class Counts {
  constructor(host) {
    this.root = el("div", "agent-counts");
    this.root.setAttribute("aria-label", "Agents by activity");
    this.cells = new Map();
    for (const name of ORDER) {
      const cell = el("span", `agent-count activity-${name}`);
      cell.dataset.activity = name;
      const badge = el("span", "agent-badge", ACTIVITIES[name].badge);
      const words = el("span", "agent-count-label", ACTIVITIES[name].label);
      const value = el("span", "agent-count-value", "0");
      cell.append(badge, words, value);
      this.cells.set(name, { cell, value });
      this.root.append(cell);
    }
    host.append(this.root);
  }

  render(agents) {
    const counts = countsOf(agents);
    for (const [name, { cell, value }] of this.cells) {
      setText(value, String(counts[name] || 0));
      // Offline shows only when the source shows offline agents and has some.
      const hidden = name === "offline" && !counts.offline;
      if (cell.hidden !== hidden) {
        cell.hidden = hidden;
      }
    }
  }
}

export function createPanel(host, panel, context) {
  const tv = context.screen === "tv";
  const root = el("div", `agent-grid agent-grid-${tv ? "tv" : "supervisor"}`);
  host.append(root);
  const counts = new Counts(root);
  const settingsKey = `agent-grid:${panel.id}`;
  const chosen = readChoice(settingsKey);
  let grouping = chosen.grouping in GROUPINGS ? chosen.grouping : "activity";
  if (!tv) {
    root.append(controls(grouping, (next) => {
      grouping = next;
      window.localStorage.setItem(settingsKey, JSON.stringify({ grouping }));
      last = null;
      draw();
    }));
  }
  const cardsHost = el("div", "agent-cards");
  root.append(cardsHost);
  const pager = new Pager();
  // Supervisor: the cards in their order. TV: the page's cards by agent key;
  // the cards of agents that left the page still showing them until an agent
  // new to the page takes each; and those out of the DOM, for the next.
  const views = [];
  const onPage = new Map();
  const leaving = [];
  const spare = [];
  // The agents of the TV's page while some of them have no card yet.
  let unfinished = null;
  const heads = [];
  let last = null;
  let thresholds = [];
  let fitKey = "";
  // The TV's cards: columns, and each card's size and the gap between (px).
  let grid = { cols: 1, width: 0, height: 0, gap: 0 };
  const serverNow = () => (context.serverNow ? context.serverNow() : Date.now());
  const tick = () => {
    const now = serverNow();
    for (const view of tv ? onPage.values() : views) {
      if (view.agent) {
        view.tick(now, thresholds);
      }
    }
  };
  // The grid's own ticks, until the page takes the panel out of the DOM.
  let placed = false;
  const ticker = setInterval(() => {
    placed = placed || root.isConnected;
    if (placed && !root.isConnected) {
      clearInterval(ticker);
    } else {
      tick();
    }
  }, 1000 / TICKS_PER_SECOND);

  const refit = (count) => {
    if (!tv) {
      return;
    }
    const width = cardsHost.clientWidth;
    const height = cardsHost.clientHeight;
    const key = JSON.stringify([count, width, height, window.innerHeight]);
    if (key === fitKey) {
      return;
    }
    fitKey = key;
    const gap = Math.round(window.innerHeight * 0.008);
    const fit = fitCards(count, width, height, window.innerHeight, gap);
    grid = {
      cols: fit.cols,
      width: Math.floor((width - gap * (fit.cols - 1)) / fit.cols),
      height: Math.floor((height - gap * (fit.rows - 1)) / fit.rows),
      gap,
    };
    const style = cardsHost.style;
    style.setProperty("--cols", fit.cols);
    style.setProperty("--rows", fit.rows);
    style.setProperty("--card-font", `${fit.font.toFixed(1)}px`);
    style.setProperty("--card-width", `${grid.width}px`);
    style.setProperty("--card-height", `${grid.height}px`);
    style.setProperty("--gap", `${gap}px`);
    cardsHost.classList.toggle("agent-cards-dense", fit.dense);
    root.dataset.dense = String(fit.dense);
    pager.set(fit.cols * fit.rows, fit.pages);
  };

  const viewAt = (index) => {
    while (views.length <= index) {
      const view = new AgentCardView();
      views.push(view);
    }
    return views[index];
  };

  // The TV's page: each agent keeps its card while on the page (moved to its
  // place); an agent new to the page takes the card of one that left, the one
  // at its place when there is one, at most NEW_CARDS_PER_FRAME of them a frame.
  const drawPage = (shown) => {
    const now = serverNow();
    const keys = new Set(shown.map((agent) => agent.key));
    for (const [key, view] of onPage) {
      if (!keys.has(key)) {
        onPage.delete(key);
        leaving.push(view);
      }
    }
    let room = NEW_CARDS_PER_FRAME;
    unfinished = null;
    shown.forEach((agent, index) => {
      const x = (index % grid.cols) * (grid.width + grid.gap);
      const y = Math.floor(index / grid.cols) * (grid.height + grid.gap);
      let view = onPage.get(agent.key);
      if (!view) {
        if (room === 0) {
          unfinished = shown;
          return;
        }
        room -= 1;
        const here = leaving.findIndex((card) => card.at(x, y));
        view = here >= 0 ? leaving.splice(here, 1)[0] : leaving.pop() || spare.pop();
        view = view || new AgentCardView();
        onPage.set(agent.key, view);
      }
      view.show(agent);
      view.tick(now, thresholds);
      view.place(x, y);
      if (view.root.parentNode !== cardsHost) {
        cardsHost.append(view.root);
      }
    });
    if (unfinished === null) {
      for (const view of leaving) {
        view.agent = null;
        view.root.remove();
        spare.push(view);
      }
      leaving.length = 0;
    }
  };

  const draw = () => {
    const agents = last ? last.agents || [] : [];
    // The panel's size is read before anything is written, so it costs no layout.
    refit(agents.length);
    counts.render(agents);
    const ordered = arrange(agents, grouping);
    if (tv) {
      drawPage(pager.pick(ordered));
      root.dataset.agents = String(agents.length);
      return;
    }
    const nodes = [];
    let group = null;
    let headAt = 0;
    ordered.forEach((agent, index) => {
      const own = groupOf(agent, grouping);
      if (own !== group) {
        group = own;
        if (!heads[headAt]) {
          heads[headAt] = el("h3", "agent-group");
        }
        const words = grouping === "activity" ? ACTIVITIES[own].label : own;
        setText(heads[headAt], words);
        nodes.push(heads[headAt]);
        headAt += 1;
      }
      const view = viewAt(index);
      view.show(agent);
      view.tick(serverNow(), thresholds);
      nodes.push(view.root);
    });
    const same =
      nodes.length === cardsHost.children.length &&
      nodes.every((node, at) => cardsHost.children[at] === node);
    if (!same) {
      cardsHost.replaceChildren(...nodes);
    }
    root.dataset.agents = String(agents.length);
  };

  return {
    pager: tv ? pager : null,
    emptyText: "No agents to show: none of this source's agents is logged in.",
    render: (data) => {
      last = data;
      thresholds = (data && data.thresholds) || [];
      draw();
    },
    tick,
    // The rest of a page whose agents did not all get a card in one frame.
    catchUp: () => {
      if (unfinished === null) {
        return false;
      }
      drawPage(unfinished);
      return unfinished !== null;
    },
    // The width all the cards want at the smallest readable size (dense when
    // normal cards would want more), but never so much that the panels beside it
    // cannot be read: a floor larger than that pages.
    widthWanted: (count, columns, height) => {
      const screen = window.innerHeight;
      const gap = Math.round(screen * 0.008);
      const most = window.innerWidth * MOST_OF_SCREEN;
      const normal = widthFor(count, height, gap, (MIN_FONT_VH / 100) * screen, CARD_EM);
      if (normal <= most) {
        return normal;
      }
      const dense = widthFor(count, height, gap, (DENSE_MIN_FONT_VH / 100) * screen, DENSE_CARD_EM);
      return Math.min(most, dense);
    },
  };
}

function readChoice(key) {
  try {
    return JSON.parse(window.localStorage.getItem(key) || "{}") || {};
  } catch {
    return {};
  }
}

function controls(grouping, onChange) {
  const bar = el("div", "agent-controls");
  const label = el("label", "agent-control", "Group by ");
  const select = el("select", "agent-grouping");
  for (const [value, words] of Object.entries(GROUPINGS)) {
    const option = el("option", "", words);
    option.value = value;
    option.selected = value === grouping;
    select.append(option);
  }
  select.addEventListener("change", () => onChange(select.value));
  label.append(select);
  bar.append(label, el("span", "agent-sort-note", "Longest in their activity first"));
  return bar;
}
