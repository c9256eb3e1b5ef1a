// What the supervisor and TV pages share: the config the server put in the
// page, the socket, the state, the panels built from the wallboard message
// (each with its source's stale banner), the refusal screen, and the reload
// when the server's build changes. Each page says which layout draws a panel
// and brings what it shows around the panels.

import { WallboardSocket, socketUrl } from "./connection.js";
import { parseTime } from "./format.js";
import { FrameSamples } from "./frame-samples.js";
import { dataTimeOf, freshness } from "./freshness.js";
import { LAYOUTS } from "./layouts.js";
import { PanelFrame } from "./panel-frame.js";
import { applyMessage, dataOf, initialState, sourceOf } from "./state.js";

// A page whose build differs from the server's reloads, but never twice in a
// minute, so two servers that disagree cannot make a screen reload forever.
const RELOAD_SPACING_MS = 60000;
const RELOADED_AT = "wallboard-reloaded-at";

// The least live of the panels' sources decides what the header says.
const FRESHNESS_RANK = { live: 0, connecting: 1, stale: 2, error: 3 };

const LIVE_WORDS = {
  live: "Live",
  connecting: "Connecting",
  stale: "Not live",
  error: "Not live",
};

export function readConfig() {
  return JSON.parse(document.getElementById("wallboard-config").textContent);
}

const REFUSAL_WORDS = {
  revoked: ["This screen's link was revoked", "Ask an admin for a new TV link."],
  "bad-token": [
    "This screen's display token is not valid for this wallboard",
    "Ask an admin for a new TV link.",
  ],
  "signed-out": ["You are signed out", "Sign in again to see this wallboard."],
  forbidden: ["You no longer have access to this wallboard", "Ask an admin to add you to it."],
  "not-found": ["This wallboard no longer exists", "Ask an admin which wallboard to show here."],
};

export class WallboardPage {
  // The panels go into `container`, each drawn by the layout `layoutOf(panel)`
  // names (layouts.js) with `context`; `totals` gives each a totals band;
  // `arrange` places them (before they are drawn, which fits them to their place).
  // `render` shows what is around the panels. A layout that defers work out of
  // sight does a little of it per frame (catchUp); each frame renders or
  // catches up, so catching up never slows an update. `onData` hears of each
  // source's new data (previous, next).
  constructor(
    config,
    {
      container,
      layoutOf,
      context,
      totals = false,
      arrange = () => {},
      render = () => {},
      onTick = () => {},
      onData = () => {},
    },
  ) {
    this.config = config;
    this.container = container;
    this.layoutOf = layoutOf;
    this.context = {
      ...context,
      catalogue: config.catalogue,
      groupingLabels: config.grouping_labels,
    };
    this.totals = totals;
    this.arrange = arrange;
    this.render = render;
    this.onTick = onTick;
    this.onData = onData;
    this.panels = new Map();
    const params = new URLSearchParams(window.location.search);
    this.token = params.get("token") || "";
    this.via = params.get("via") || "";
    this.state = initialState(config.wallboard);
    this.linkUp = false;
    // The server's clock as the last message read it (published_at) and the
    // page's own clock at that moment; null before the first message.
    this.clockAnchor = null;
    // Layouts whose numbers move between messages (an agent's time in an
    // activity) read the server's clock from here.
    this.context.serverNow = () => this.serverNow();
    this.frame = 0;
    this.stateShown = false;
    this.reloadTimer = null;
    this.renders = new FrameSamples();
    this.catchUps = new FrameSamples();
    this.liveState = document.getElementById("live-state");
    this.socket = new WallboardSocket(
      socketUrl(config.ws_path, { token: this.token, via: this.via }),
      {
        onMessage: (msg) => this.receive(msg),
        onLinkChange: (up) => this.linkChanged(up),
        onRefused: (why) => this.refuse(this.refusalFor(why)),
      },
    );
  }

  start() {
    this.socket.open();
    this.tick();
    setInterval(() => this.tick(), 1000);
    this.requestRender();
  }

  // How many seconds of data time pass in a real second: 1 but in an
  // endurance run, whose accelerated clock the server names (clock_speed).
  clockSpeed() {
    return this.state.wallboard.clock_speed || this.config.clock_speed || 1;
  }

  // The server's clock now: its last published_at moved on by the page's own
  // clock since, at the server's speed (a TV whose clock is off is corrected).
  serverNow() {
    if (this.clockAnchor === null) {
      return Date.now();
    }
    const { server, local } = this.clockAnchor;
    return server + (Date.now() - local) * this.clockSpeed();
  }

  // What the header's clock shows: the screen's own clock, or the server's when
  // the data's clock runs faster than real time.
  clockNow() {
    return this.clockSpeed() === 1 ? Date.now() : this.serverNow();
  }

  receive(msg) {
    const published = parseTime(msg.published_at);
    if (published !== null) {
      this.clockAnchor = { server: published, local: Date.now() };
    }
    if (msg.build && msg.build !== this.config.build) {
      this.reloadForNewBuild();
    }
    const previous = this.state;
    this.state = applyMessage(previous, msg);
    if (this.state.revoked) {
      this.socket.stop();
      this.refuse("revoked");
      return;
    }
    if (this.state.outOfStep && !previous.outOfStep) {
      // An update did not follow the data shown: connect again for a fresh snapshot.
      this.socket.drop();
    }
    if (this.state.sources !== previous.sources) {
      for (const [source, data] of Object.entries(this.state.sources)) {
        if (data !== previous.sources[source]) {
          this.onData(previous.sources[source] || null, data);
        }
      }
    }
    if (this.state !== previous) {
      this.requestRender();
    }
  }

  linkChanged(up) {
    this.linkUp = up;
    this.showFreshness();
  }

  refusalFor(why) {
    if (why === "not-found") {
      return "not-found";
    }
    if (this.token) {
      return why === "forbidden" ? "revoked" : "bad-token";
    }
    return why === "forbidden" ? "forbidden" : "signed-out";
  }

  refuse(kind) {
    const [heading, detail] = REFUSAL_WORDS[kind];
    const screen = document.getElementById("refusal");
    screen.querySelector(".refusal-heading").textContent = heading;
    screen.querySelector(".refusal-detail").textContent = detail;
    screen.querySelector(".refusal-sign-in").hidden = kind !== "signed-out";
    screen.hidden = false;
    document.body.dataset.refused = kind;
  }

  reloadForNewBuild() {
    if (this.reloadTimer !== null) {
      return;
    }
    const last = Number(window.sessionStorage.getItem(RELOADED_AT) || 0);
    const wait = Math.max(0, last + RELOAD_SPACING_MS - Date.now());
    this.reloadTimer = setTimeout(() => {
      window.sessionStorage.setItem(RELOADED_AT, String(Date.now()));
      window.location.reload();
    }, wait);
  }

  requestRender() {
    this.stateShown = false;
    this.requestFrame();
  }

  requestFrame() {
    if (this.frame === 0) {
      this.frame = requestAnimationFrame(() => {
        this.frame = 0;
        this.nextFrame();
      });
    }
  }

  nextFrame() {
    if (!this.stateShown) {
      this.stateShown = true;
      this.renders.measure(() => this.renderNow());
      this.requestFrame();
    } else if (this.catchUps.measure(() => this.catchUp())) {
      this.requestFrame();
    }
  }

  catchUp() {
    let more = false;
    for (const frame of this.panels.values()) {
      more = frame.view.catchUp() || more;
    }
    return more;
  }

  renderNow() {
    const panels = this.state.wallboard.panels || [];
    this.buildPanels(panels);
    this.arrange(this.state);
    for (const panel of panels) {
      this.panels
        .get(panel.id)
        .render(panel, dataOf(this.state, panel), panels.length === 1, this.config.catalogue);
    }
    this.render(this.state);
    this.showFreshness();
  }

  // The time of the oldest numbers on screen (epoch ms), or null before any.
  oldestDataTime() {
    let oldest = null;
    for (const frame of this.panels.values()) {
      const time = frame.data ? dataTimeOf(frame.data) : null;
      if (time !== null && (oldest === null || time < oldest)) {
        oldest = time;
      }
    }
    return oldest;
  }

  // One frame per panel, in the panels' order; a panel whose layout or
  // source changed is built afresh.
  buildPanels(panels) {
    const kept = new Map();
    panels.forEach((panel, index) => {
      const layout = this.layoutOf(panel);
      let frame = this.panels.get(panel.id);
      if (!frame || frame.layout !== layout || sourceOf(frame.panel) !== sourceOf(panel)) {
        if (frame) {
          frame.root.remove();
        }
        const create = LAYOUTS[layout] || LAYOUTS.table;
        frame = new PanelFrame(panel, layout, create, {
          context: this.context,
          totals: this.totals,
        });
      }
      kept.set(panel.id, frame);
      if (this.container.children[index] !== frame.root) {
        this.container.insertBefore(frame.root, this.container.children[index] || null);
      }
    });
    for (const [id, frame] of this.panels) {
      if (!kept.has(id)) {
        frame.root.remove();
      }
    }
    this.panels = kept;
    this.container.dataset.panels = String(panels.length);
  }

  // Each panel says how fresh its source's numbers are; the header, the
  // least fresh of them, and the time of the oldest.
  showFreshness() {
    const now = this.serverNow();
    let fresh = null;
    for (const frame of this.panels.values()) {
      const own = freshness(frame.data, this.linkUp, now, this.clockSpeed());
      frame.showFreshness(own);
      if (fresh === null || FRESHNESS_RANK[own.kind] > FRESHNESS_RANK[fresh.kind]) {
        fresh = own;
      }
    }
    fresh = fresh || freshness(null, this.linkUp, now, this.clockSpeed());
    document.body.dataset.freshness = fresh.kind;
    const live = LIVE_WORDS[fresh.kind];
    if (this.liveState.textContent !== live) {
      this.liveState.textContent = live;
      this.liveState.className = `live-state live-state-${fresh.kind}`;
    }
  }

  tick() {
    this.showFreshness();
    for (const frame of this.panels.values()) {
      if (frame.view.tick) {
        frame.view.tick();
      }
    }
    this.onTick(new Date(this.clockNow()));
  }
}
