"""Today's performance: the third kind of source, answered by GetMetricDataV2.

A today source is some of an instance's queues (or some of its routing profiles),
asked for since the centre's local midnight (the instance's time zone): the metrics
it chooses, in its order, among service level against each row's target, contacts
queued, handled and abandoned, abandonment rate, average handle, answer and abandon
times and the longest wait, with a 15-minute trend of the service level through the
day. Polled about once a minute
(GetMetricDataV2's numbers arrive after a contact ends) on the shared schedule.

- models.py: `TodaySource`, its grouping, metrics and routing profiles, and its
  queues, each with its own service-level threshold and target (default: the
  instance's);
- rules.py: the day's window, the requests (split at GetMetricDataV2's limits) and
  their rules (the simulated centre's, reused);
- fetch.py: every page of every request, read into counts per queue and interval;
- totals.py: figures from counts (totals recomputed, never averaged);
- panel.py: the message body, the snapshot and the compact update;
- admin.py, kind.py: the admin, and the kind the poller serves.
"""
