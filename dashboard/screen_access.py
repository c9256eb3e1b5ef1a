"""Who may see a wallboard, and on whose authority: one decision for the TV page and the socket.

A screen gets in with a display token in its URL, or with a signed-in user who
may view the wallboard. A token belongs to one wallboard. A TV that rotates
through that wallboard's rotation list shows the other wallboards with the same
token, naming the wallboard it belongs to (`via`): the admin who put them in the
rotation chose to show them on that screen.

Wrong tokens are counted by dashboard/lib/guard.py at the wallboard's door; a
revoked token is answered as revoked and not counted (it is no guess), and a
valid one marks its address as one whose TVs work (the higher bar) and its token
as seen.
"""

from dataclasses import dataclass
from enum import Enum

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from dashboard.lib.guard import refusal_reason, token_guard, wallboard_door
from dashboard.models import DisplayToken, Wallboard
from dashboard.sightings import note_seen

REVOKED = "This screen's link was revoked"
NOT_VALID = "This screen's display token is not valid for this wallboard"
NOT_IN_ROTATION = "This wallboard is not in the rotation of this screen's wallboard"
NOT_SIGNED_IN = "Sign in to see this wallboard"
NO_ACCESS = "You do not have access to this wallboard"


class Outcome(Enum):
    GRANTED = "granted"
    LOCKED_OUT = "locked out"  # too many wrong tokens from this address at this wallboard
    REVOKED = "revoked"
    NOT_VALID = "not valid"  # a wrong token, or a rotation this wallboard is not in
    NOT_SIGNED_IN = "not signed in"
    NO_ACCESS = "no access"  # signed in, but not a viewer


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    reason: str = ""
    # Granted: the wallboard whose rotation the screen follows, and the token if one let it in.
    owner: Wallboard | None = None
    token: DisplayToken | None = None
    wait: float = 0.0  # locked out: seconds until a token is looked at again


def decide(
    wallboard: Wallboard,
    raw_token: str,
    via: str,
    user: AbstractBaseUser | AnonymousUser,
    address: str,
) -> Decision:
    """Whether the screen at `address` may show `wallboard`, and what it follows."""
    if raw_token:
        return _by_token(wallboard, raw_token, via, address)
    if not user.is_authenticated:
        return Decision(Outcome.NOT_SIGNED_IN, NOT_SIGNED_IN)
    if not wallboard.can_view(user):
        return Decision(Outcome.NO_ACCESS, NO_ACCESS)
    return Decision(Outcome.GRANTED, owner=wallboard)


def _by_token(wallboard: Wallboard, raw: str, via: str, address: str) -> Decision:
    guard, door = token_guard(), wallboard_door(wallboard.pk)
    if (wait := guard.wait(address, door)) > 0:
        # Locked out for guessing: the token is not even looked up.
        return Decision(Outcome.LOCKED_OUT, refusal_reason(wait), wait=wait)
    owner = _owner(wallboard, via)
    token = DisplayToken.by_secret(raw, wallboard=owner) if owner is not None else None
    if owner is None or token is None:
        guard.failed(address, door)
        return Decision(Outcome.NOT_VALID, NOT_VALID if owner is not None else NOT_IN_ROTATION)
    if token.revoked:
        return Decision(Outcome.REVOKED, REVOKED)
    guard.succeeded(address)
    note_seen(token)
    return Decision(Outcome.GRANTED, owner=owner, token=token)


def _owner(wallboard: Wallboard, via: str) -> Wallboard | None:
    """The wallboard whose token may show `wallboard` (itself, or `via` if it rotates it)."""
    if not via or via == wallboard.slug:
        return wallboard
    found = Wallboard.objects.filter(slug=via).first()
    if found is None or not found.rotation.filter(pk=wallboard.pk).exists():
        return None
    return found
