// The wallboard socket's message fields, generated from
// connectmetrics/wire/socket_messages.py by `python manage.py socket_contract`;
// do not edit (a test fails when it is stale).
export const FIELDS = Object.freeze({
  wallboard: Object.freeze(["type", "slug", "title", "panels", "theme", "ticker", "sound_on_critical", "rotation", "rotation_seconds", "build", "published_at", "clock_speed"]),
  snapshot: Object.freeze(["type", "queue_filter", "seq", "published_at", "build", "status", "reason", "data_snapshot_time", "fetched_at", "poll_interval", "metrics", "groupings", "trend_metrics", "rows", "totals", "trends"]),
  update: Object.freeze(["type", "queue_filter", "seq", "base", "published_at", "build", "status", "reason", "data_snapshot_time", "fetched_at", "poll_interval", "totals", "trend_bucket", "order", "rows", "changes", "metrics", "groupings", "trend_metrics"]),
  alerts: Object.freeze(["type", "queue_filter", "published_at", "alerts"]),
  agent_snapshot: Object.freeze(["type", "source", "seq", "published_at", "build", "status", "reason", "fetched_at", "poll_interval", "thresholds", "agents"]),
  agent_update: Object.freeze(["type", "source", "seq", "base", "published_at", "build", "status", "reason", "fetched_at", "poll_interval", "agents", "gone", "thresholds"]),
  agent: Object.freeze(["key", "name", "activity", "since", "status", "team", "routing_profile", "channel", "queue", "on_hold", "hold_since", "active", "capacity", "next_status"]),
  activity_threshold: Object.freeze(["activity", "warning", "critical"]),
  today_snapshot: Object.freeze(["type", "source", "seq", "published_at", "build", "status", "reason", "fetched_at", "poll_interval", "day_start", "as_of", "time_zone", "rows", "total", "grouping", "columns"]),
  today_update: Object.freeze(["type", "source", "seq", "base", "published_at", "build", "status", "reason", "fetched_at", "poll_interval", "day_start", "as_of", "time_zone", "grouping", "columns", "total", "rows", "gone"]),
  today_row: Object.freeze(["key", "label", "threshold", "target", "level", "figures", "trend"]),
  today_total: Object.freeze(["target", "level", "figures", "trend"]),
  today_figures: Object.freeze(["queued", "handled", "abandoned", "service_level", "abandonment_rate", "avg_handle_time", "avg_answer_time", "max_queued_time", "avg_abandon_time"]),
  heartbeat: Object.freeze(["type", "published_at"]),
  revoked: Object.freeze(["type", "reason", "published_at"]),
  screen_settings: Object.freeze(["slug", "title", "panels", "theme", "ticker", "sound_on_critical", "rotation", "rotation_seconds"]),
  panel: Object.freeze(["id", "title", "layout", "columns", "source", "queue_filter"]),
  row: Object.freeze(["key", "label", "dimensions", "values", "levels"]),
  row_change: Object.freeze(["values", "levels"]),
  totals: Object.freeze(["values", "levels"]),
  metric: Object.freeze(["name", "unit", "label"]),
  resource: Object.freeze(["id", "arn", "name"]),
  rotation_entry: Object.freeze(["slug", "title"]),
  open_alert: Object.freeze(["id", "rule", "row", "metric", "value", "level", "since", "raised_at", "acknowledged_by", "acknowledged_at"]),
});
