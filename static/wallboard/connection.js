// The wallboard socket: reconnects on its own, forever, with exponential
// backoff and full jitter, so a thousand screens dropped at once by a server
// restart do not all come back in the same second.

export const BACKOFF_BASE_MS = 1000;
export const BACKOFF_CAP_MS = 30000;
// The server sends a heartbeat every 15 s; hearing nothing for 40 s means the
// link is dead even if the browser has not noticed.
export const SILENCE_LIMIT_MS = 40000;

// Close codes with which the server refuses a screen for good: reconnecting
// would only be refused again.
export const REFUSALS = {
  4001: "not-authorised",
  4003: "forbidden",
  4004: "not-found",
};

export function backoffDelay(attempt, random = Math.random) {
  return random() * Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** attempt);
}

export function socketUrl(path, params) {
  const url = new URL(path, window.location.href);
  url.protocol = window.location.protocol === "https:" ? "wss:" : "ws:";
  for (const [name, value] of Object.entries(params)) {
    if (value) {
      url.searchParams.set(name, value);
    }
  }
  return url.toString();
}

export class WallboardSocket {
  constructor(url, { onMessage, onLinkChange, onRefused }) {
    this.url = url;
    this.onMessage = onMessage;
    this.onLinkChange = onLinkChange;
    this.onRefused = onRefused;
    this.socket = null;
    this.attempt = 0;
    this.lastHeardAt = 0;
    this.retryTimer = null;
    this.stopped = false;
    this.watchdog = setInterval(() => this.checkSilence(), 1000);
    window.addEventListener("online", () => this.reconnectNow());
  }

  get isOpen() {
    return this.socket !== null && this.socket.readyState === WebSocket.OPEN;
  }

  open() {
    if (this.stopped) {
      return;
    }
    this.retryTimer = null;
    const socket = new WebSocket(this.url);
    this.socket = socket;
    socket.onopen = () => {
      this.lastHeardAt = Date.now();
      this.onLinkChange(true);
    };
    socket.onmessage = (event) => {
      this.lastHeardAt = Date.now();
      // Hearing from the server is what proves the link works, not the
      // handshake: a server that accepts and then drops us keeps backing off.
      this.attempt = 0;
      let msg;
      try {
        msg = JSON.parse(event.data);
      } catch {
        return;
      }
      this.onMessage(msg);
    };
    socket.onclose = (event) => {
      if (this.socket !== socket) {
        return;
      }
      this.socket = null;
      this.onLinkChange(false);
      if (event.code in REFUSALS) {
        this.stop();
        this.onRefused(REFUSALS[event.code], event.reason);
        return;
      }
      this.scheduleRetry();
    };
  }

  scheduleRetry() {
    if (this.stopped || this.retryTimer !== null) {
      return;
    }
    const delay = backoffDelay(this.attempt);
    this.attempt += 1;
    this.retryTimer = setTimeout(() => this.open(), delay);
  }

  // Give up on a socket that has gone quiet and start again.
  drop() {
    const socket = this.socket;
    if (socket === null) {
      return;
    }
    this.socket = null;
    socket.onopen = socket.onmessage = socket.onclose = null;
    socket.close();
    this.onLinkChange(false);
    this.scheduleRetry();
  }

  checkSilence() {
    if (this.isOpen && Date.now() - this.lastHeardAt > SILENCE_LIMIT_MS) {
      this.drop();
    }
  }

  reconnectNow() {
    if (this.stopped || this.socket !== null) {
      return;
    }
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.open();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearInterval(this.watchdog);
    if (this.socket !== null) {
      const socket = this.socket;
      this.socket = null;
      socket.onclose = null;
      socket.close();
    }
  }
}
