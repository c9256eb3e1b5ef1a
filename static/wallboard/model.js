// What a page shows, derived from the state: the columns with their console
// labels, the rows in the chosen order, and which breaches are new.

const LEVEL_RANK = { ok: 0, warning: 1, critical: 2 };

// A panel's columns, labelled with the names its source's snapshot carries
// (which come from the server's metric catalogue); the catalogue sent with the
// page labels them until the first snapshot arrives.
export function columnsOf(panel, data, catalogue) {
  const fromSnapshot = new Map();
  for (const metric of (data && data.metrics) || []) {
    fromSnapshot.set(metric.name, metric);
  }
  const names = panel.columns || [];
  const ordered = names.length ? names : [...fromSnapshot.keys()];
  return ordered.map((name) => {
    const known = fromSnapshot.get(name) || catalogue[name] || {};
    return { name, label: known.label || name, unit: known.unit || "COUNT" };
  });
}

export function trendMetricsOf(data) {
  const found = new Set();
  const trends = (data && data.trends) || {};
  for (const key of Object.keys(trends)) {
    for (const metric of Object.keys(trends[key])) {
      found.add(metric);
    }
  }
  return found;
}

// Unknown values sort last whichever way the column is sorted: "no data"
// is never the most or the least urgent queue.
export function sortRows(rows, sort) {
  if (!sort || !sort.by) {
    return rows;
  }
  const sign = sort.descending ? -1 : 1;
  const byLabel = (a, b) => String(a.label).localeCompare(String(b.label));
  return [...rows].sort((a, b) => {
    if (sort.by === "label") {
      return sign * byLabel(a, b);
    }
    const va = a.values ? a.values[sort.by] : null;
    const vb = b.values ? b.values[sort.by] : null;
    const unknownA = va === null || va === undefined;
    const unknownB = vb === null || vb === undefined;
    if (unknownA || unknownB) {
      return unknownA === unknownB ? byLabel(a, b) : unknownA ? 1 : -1;
    }
    return va === vb ? byLabel(a, b) : sign * (va - vb);
  });
}

export function levelOf(levels, metric) {
  const level = levels ? levels[metric] : undefined;
  return level in LEVEL_RANK ? level : "ok";
}

export function worstLevel(levels) {
  let worst = "ok";
  for (const level of Object.values(levels || {})) {
    if ((LEVEL_RANK[level] || 0) > LEVEL_RANK[worst]) {
      worst = level;
    }
  }
  return worst;
}

function criticalCells(data) {
  const cells = new Set();
  for (const row of (data && data.rows) || []) {
    for (const [metric, level] of Object.entries(row.levels || {})) {
      if (level === "critical") {
        cells.add(`${row.key}\u0000${metric}`);
      }
    }
  }
  return cells;
}

// Critical cells in `next` that were not critical in `previous`: what the
// room is alerted to. A first snapshot alerts nobody (nothing is new to a
// screen that just opened).
export function newCriticalCount(previous, next) {
  if (!previous || !next) {
    return 0;
  }
  const before = criticalCells(previous);
  let count = 0;
  for (const cell of criticalCells(next)) {
    if (!before.has(cell)) {
      count += 1;
    }
  }
  return count;
}
