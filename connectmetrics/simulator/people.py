"""The people of a simulated centre: agents' names and usernames, and the hierarchy.

The hierarchy has two levels: sites (level one) and teams within a site (level
two), about a dozen agents to a team. Every agent belongs to one team. Names,
usernames and teams are drawn from the seed, so every process builds the same
people.
"""

from collections.abc import Callable
from dataclasses import dataclass

from connectmetrics.simulator import rng

_FIRST_NAMES = (
    "Aisha", "Ben", "Chloe", "Daniel", "Ella", "Farid", "Grace", "Hamza", "Isla", "Jack",
    "Keira", "Liam", "Maya", "Noah", "Olivia", "Priya", "Quentin", "Rosa", "Samir", "Tara",
    "Uma", "Victor", "Wen", "Xavier", "Yasmin", "Zoe", "Amelia", "Callum", "Dmitri", "Erin",
    "Femi", "Giulia", "Harvey", "Ines", "Jonas", "Kofi", "Lena", "Marek", "Niamh", "Oscar",
)  # fmt: skip
_LAST_NAMES = (
    "Ahmed", "Brown", "Campbell", "Davies", "Evans", "Fernandes", "Green", "Hughes", "Iqbal",
    "Jones", "Kowalski", "Lewis", "Murphy", "Nowak", "O'Neill", "Patel", "Quinn", "Roberts",
    "Singh", "Taylor", "Usman", "Vaughan", "Walker", "Xu", "Young", "Zielinski", "Okafor",
    "MacLeod", "Rossi", "Santos", "Novak", "Byrne", "Chen", "Khan", "Murray", "Price",
)  # fmt: skip
_SITES = ("Manchester", "Glasgow", "Cardiff", "Belfast")
_TEAM_NAMES = ("Atlas", "Beacon", "Comet", "Delta", "Ember", "Falcon", "Granite", "Harbour")
_AGENTS_PER_TEAM = 12
_AGENTS_PER_SITE = 60


@dataclass(frozen=True)
class HierarchyGroup:
    id: str
    arn: str
    name: str
    level: int  # 1: site, 2: team
    parent: str | None  # the site of a team
    last_modified: float


@dataclass(frozen=True)
class Person:
    first_name: str
    last_name: str
    username: str
    team: HierarchyGroup
    site: HierarchyGroup
    last_modified: float


def build_people(
    seed: int, agents: int, instance_arn: str, modified: Callable[..., float]
) -> tuple[tuple[HierarchyGroup, ...], list[Person]]:
    """The hierarchy groups (sites first, then teams) and one person per agent, in order."""
    site_count = min(len(_SITES), max(1, -(-agents // _AGENTS_PER_SITE)))
    team_count = max(site_count, -(-agents // _AGENTS_PER_TEAM))

    def group(kind: str, index: int, name: str, level: int, parent: str | None) -> HierarchyGroup:
        group_id = rng.stable_uuid(seed, kind, index)
        return HierarchyGroup(
            group_id,
            f"{instance_arn}/agent-group/{group_id}",
            name,
            level,
            parent,
            modified(kind, index),
        )

    sites = [group("site", i, _SITES[i], 1, None) for i in range(site_count)]
    teams = []
    for index in range(team_count):
        site = sites[index % site_count]
        round_ = index // site_count
        name = f"{site.name} {_TEAM_NAMES[round_ % len(_TEAM_NAMES)]}"
        if round_ >= len(_TEAM_NAMES):
            name += f" {round_ // len(_TEAM_NAMES) + 1}"
        teams.append(group("team", index, name, 2, site.id))
    site_by_id = {site.id: site for site in sites}
    people = []
    taken: set[str] = set()
    for index in range(agents):
        draw = rng.stream(seed, "person", index)
        first = _FIRST_NAMES[int(draw.random() * len(_FIRST_NAMES))]
        last = _LAST_NAMES[int(draw.random() * len(_LAST_NAMES))]
        base = f"{first}.{last}".lower().replace("'", "")
        username, suffix = base, 1
        while username in taken:
            suffix += 1
            username = f"{base}{suffix}"
        taken.add(username)
        team = teams[index % team_count]
        people.append(
            Person(
                first,
                last,
                username,
                team,
                site_by_id[team.parent or ""],
                modified("user", index),
            )
        )
    return (*sites, *teams), people
