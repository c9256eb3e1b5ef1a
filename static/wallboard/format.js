// How numbers and times read on a wallboard: durations as the Amazon Connect
// console shows them (m:ss, h:mm:ss past an hour), counts as whole numbers,
// and an unknown value as a dash, never as zero.

export const UNKNOWN = "–";

export function formatDuration(seconds) {
  const whole = Math.max(0, Math.floor(seconds));
  const hours = Math.floor(whole / 3600);
  const minutes = Math.floor((whole % 3600) / 60);
  const secs = whole % 60;
  const ss = String(secs).padStart(2, "0");
  if (hours) {
    return `${hours}:${String(minutes).padStart(2, "0")}:${ss}`;
  }
  return `${minutes}:${ss}`;
}

export function formatValue(value, unit) {
  if (value === null || value === undefined || Number.isNaN(value)) {
    return UNKNOWN;
  }
  if (unit === "SECONDS") {
    return formatDuration(value);
  }
  if (unit === "PERCENT") {
    return `${Math.round(value)}%`;
  }
  return String(Math.round(value));
}

const two = (n) => String(n).padStart(2, "0");

// 14:03:22 in the screen's own time zone: the room reads the wall clock.
export function formatClock(date) {
  return `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}`;
}

export function parseTime(iso) {
  if (!iso) {
    return null;
  }
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? null : ms;
}
