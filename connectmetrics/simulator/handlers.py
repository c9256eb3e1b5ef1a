"""Which agent answered a contact: one of the agents logged in to serve its queue and channel.

An answered contact is handed to an agent whose routing profile serves its
(queue, channel) and who was logged in when it was answered, picked by a draw
of the contact's own, so every process names the same agent. Abandoned
contacts, and the rare contact answered when nobody serves its queue, have no
agent.
"""

from math import floor

from connectmetrics.connectapi.catalogue import Channel
from connectmetrics.simulator import activity, rng
from connectmetrics.simulator.activity import Contact
from connectmetrics.simulator.topology import AgentInfo, Topology

_HOUR = 3600.0  # shifts begin and end on the hour, so who is logged in changes only then
_MAX_CACHED = 20_000


class Handlers:
    def __init__(self, topology: Topology) -> None:
        self._topology = topology
        self._candidates: dict[tuple[str, Channel, int], tuple[AgentInfo, ...]] = {}

    def agent_of(self, contact: Contact) -> AgentInfo | None:
        if contact.abandoned:
            return None
        candidates = self._logged_in(contact.queue_id, contact.channel, floor(contact.end / _HOUR))
        if not candidates:
            return None
        draw = rng.unit(self._topology.seed, "handler", contact.queue_id, contact.start)
        return candidates[int(draw * len(candidates))]

    def _logged_in(self, queue_id: str, channel: Channel, hour: int) -> tuple[AgentInfo, ...]:
        key = (queue_id, channel, hour)
        found = self._candidates.get(key)
        if found is None:
            if len(self._candidates) >= _MAX_CACHED:
                self._candidates.clear()
            seed = self._topology.seed
            found = tuple(
                agent
                for agent in self._topology.agents
                if (queue_id, channel) in agent.profile.pairs
                and activity.logged_in(seed, agent, hour * _HOUR)
            )
            self._candidates[key] = found
        return found
