"""Which display token lets a TV show a wallboard: one rule for the page and the socket.

A token belongs to one wallboard. A TV that rotates through that wallboard's
rotation list shows the other wallboards with the same token, naming the
wallboard it belongs to (`via`): the admin who put them in the rotation chose
to show them on that screen.
"""

from dataclasses import dataclass

from dashboard.models import DisplayToken, Wallboard

REVOKED = "This screen's display token was revoked"
NOT_VALID = "This screen's display token is not valid for this wallboard"
NOT_IN_ROTATION = "This wallboard is not in the rotation of this screen's wallboard"


@dataclass(frozen=True)
class ScreenAccess:
    token: DisplayToken | None
    # The wallboard whose token it is and whose rotation the screen follows.
    owner: Wallboard | None
    refusal: str = ""

    @property
    def granted(self) -> bool:
        return self.token is not None


def token_access(wallboard: Wallboard, raw: str, via: str = "") -> ScreenAccess:
    owner = wallboard
    if via and via != wallboard.slug:
        found = Wallboard.objects.filter(slug=via).first()
        if found is None or not found.rotation.filter(pk=wallboard.pk).exists():
            return ScreenAccess(None, None, NOT_IN_ROTATION)
        owner = found
    token = DisplayToken.find(owner, raw)
    if token is not None:
        return ScreenAccess(token, owner)
    revoked = DisplayToken.by_secret(raw, wallboard=owner) is not None
    return ScreenAccess(None, None, REVOKED if revoked else NOT_VALID)
