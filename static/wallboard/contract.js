// The wallboard socket's message fields, generated from
// connectmetrics/socket_messages.py by `python manage.py socket_contract`;
// do not edit (a test fails when it is stale).
export const FIELDS = Object.freeze({
  wallboard: Object.freeze(["type", "slug", "title", "columns", "layout", "theme", "ticker", "sound_on_critical", "rotation", "rotation_seconds", "queue_filter", "build", "published_at"]),
  snapshot: Object.freeze(["type", "queue_filter", "seq", "published_at", "build", "status", "reason", "data_snapshot_time", "fetched_at", "poll_interval", "metrics", "groupings", "trend_metrics", "rows", "totals", "trends"]),
  update: Object.freeze(["type", "queue_filter", "seq", "base", "published_at", "build", "status", "reason", "data_snapshot_time", "fetched_at", "poll_interval", "totals", "trend_bucket", "order", "rows", "changes", "metrics", "groupings", "trend_metrics"]),
  heartbeat: Object.freeze(["type", "published_at"]),
  revoked: Object.freeze(["type", "reason", "published_at"]),
  screen_settings: Object.freeze(["slug", "title", "columns", "layout", "theme", "ticker", "sound_on_critical", "rotation", "rotation_seconds"]),
  row: Object.freeze(["key", "label", "dimensions", "values", "levels"]),
  row_change: Object.freeze(["values", "levels"]),
  totals: Object.freeze(["values", "levels"]),
  metric: Object.freeze(["name", "unit", "label"]),
  resource: Object.freeze(["id", "arn", "name"]),
  rotation_entry: Object.freeze(["slug", "title"]),
});
