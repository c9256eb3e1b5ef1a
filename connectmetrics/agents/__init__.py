"""Agents: the second kind of source, answered by GetCurrentUserData.

An agent source is an instance's agents on some queues, routing profiles, one
hierarchy group or chosen by name, polled on the shared schedule (kind.py) and
shown as an agent grid, one card per agent, with the activity the Connect console
derives from the agent's contacts (activity.py) and its time in that activity.

- models.py: `AgentSource`, and the directory of names (agents, agent statuses,
  hierarchy groups) kept apart from the polls;
- rules.py: the request and its rules (the simulated centre's, reused);
- activity.py: the console's activity from one UserData;
- fetch.py: every page of every batch of 100 resource IDs;
- cards.py: the cards, the snapshot and the compact update;
- directory.py: the names, refreshed on their own slower schedule (a chore of
  connectmetrics/sources/registry.py `CHORES`);
- kind.py: the kind the poller serves (connectmetrics/sources/registry.py);
- operation.py and cover.py: GetCurrentUserData for the endpoints (connectmetrics/api/records.py),
  answered from a covering source's poll when there is one.
"""
