// What the supervisor and TV pages share: the config the server put in the
// page, the socket, the state, the stale banner, the refusal screen, and the
// reload when the server's build changes. Each page brings its renderer.

import { WallboardSocket, socketUrl } from "./connection.js";
import { parseTime } from "./format.js";
import { FrameSamples } from "./frame-samples.js";
import { freshness } from "./freshness.js";
import { applyMessage, initialState } from "./state.js";

// A page whose build differs from the server's reloads, but never twice in a
// minute, so two servers that disagree cannot make a screen reload forever.
const RELOAD_SPACING_MS = 60000;
const RELOADED_AT = "wallboard-reloaded-at";

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
  // `render` shows a state; `catchUp`, if the renderer defers work that is
  // out of sight, does a little of it and says whether more is left. Each
  // frame does one or the other, so catching up never slows an update.
  constructor(config, { render, catchUp = () => false, onTick = () => {}, onData = () => {} }) {
    this.config = config;
    this.render = render;
    this.catchUp = catchUp;
    this.onTick = onTick;
    this.onData = onData;
    const params = new URLSearchParams(window.location.search);
    this.token = params.get("token") || "";
    this.via = params.get("via") || "";
    this.state = initialState(config.wallboard);
    this.linkUp = false;
    this.clockOffset = 0;
    this.frame = 0;
    this.stateShown = false;
    this.reloadTimer = null;
    this.renders = new FrameSamples();
    this.catchUps = new FrameSamples();
    this.banner = document.getElementById("stale-banner");
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

  serverNow() {
    return Date.now() - this.clockOffset;
  }

  receive(msg) {
    const published = parseTime(msg.published_at);
    if (published !== null) {
      this.clockOffset = Date.now() - published;
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
    if (this.state.data !== previous.data) {
      this.onData(previous.data, this.state.data);
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
    } else if (this.catchUps.measure(this.catchUp)) {
      this.requestFrame();
    }
  }

  renderNow() {
    this.render(this.state);
    this.showFreshness();
    if (this.state.data) {
      document.body.dataset.seq = String(this.state.data.seq);
    }
  }

  showFreshness() {
    const fresh = freshness(this.state.data, this.linkUp, this.serverNow());
    document.body.dataset.freshness = fresh.kind;
    if (this.banner.textContent !== fresh.text) {
      this.banner.textContent = fresh.text;
    }
    this.banner.hidden = fresh.live;
    const live = LIVE_WORDS[fresh.kind];
    if (this.liveState.textContent !== live) {
      this.liveState.textContent = live;
      this.liveState.className = `live-state live-state-${fresh.kind}`;
    }
  }

  tick() {
    this.showFreshness();
    this.onTick(new Date());
  }
}
