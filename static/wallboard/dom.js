// Small DOM helpers. Text from the server (queue names come from Amazon
// Connect, which admins do not control) only ever reaches the page through
// textContent, never as markup.

export const SVG_NS = "http://www.w3.org/2000/svg";

export function el(tag, className = "", text = null) {
  const node = document.createElement(tag);
  if (className) {
    node.className = className;
  }
  if (text !== null) {
    node.textContent = text;
  }
  return node;
}

export function svg(tag, attributes = {}) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attributes)) {
    node.setAttribute(name, value);
  }
  return node;
}

// Writing the same text again still costs the browser a layout; skip it.
export function setText(node, text) {
  if (node.textContent !== text) {
    node.textContent = text;
  }
}

export function setAttr(node, name, value) {
  if (node.getAttribute(name) !== value) {
    node.setAttribute(name, value);
  }
}

// The icon that, besides colour, says "warning" or "critical": a triangle or
// an octagon from the page's sprite, plus words for screen readers.
export function levelCue() {
  const cue = el("span", "cue");
  const icon = svg("svg", { class: "cue-icon", "aria-hidden": "true", focusable: "false" });
  const use = svg("use", { href: "#icon-warning" });
  icon.append(use);
  const words = el("span", "visually-hidden", "");
  cue.append(icon, words);
  return { cue, use, words, level: null };
}

const CUE_WORDS = { warning: "Warning: ", critical: "Critical: ", ok: "" };

export function setLevel(host, cue, level) {
  if (cue.level === level) {
    return;
  }
  if (cue.level !== null) {
    host.classList.remove(`level-${cue.level}`);
  }
  host.classList.add(`level-${level}`);
  if (level !== "ok") {
    cue.use.setAttribute("href", `#icon-${level}`);
  }
  cue.words.textContent = CUE_WORDS[level];
  cue.level = level;
}
