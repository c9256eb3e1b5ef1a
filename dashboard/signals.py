"""Open screens follow the admin at once: settings, revocations, deletions,
and who may view a wallboard.

Each message is published after the transaction commits, built from what was
committed (the admin saves a wallboard's rotation after the wallboard itself).
A failed publish (Redis down) never fails the admin's save: screens get the
settings on their next connect, and the once-a-minute token check
(dashboard/sightings.py) closes revoked screens.
"""

import logging
from collections.abc import Callable, Iterable
from typing import Any

from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.auth.models import Group
from django.contrib.sessions.models import Session
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from dashboard import push
from dashboard.models import DisplayToken, Panel, Wallboard

logger = logging.getLogger(__name__)
User = get_user_model()

# m2m actions after which someone may see fewer wallboards than before.
ACCESS_LOST = ("post_remove", "post_clear")
# User fields that decide what they may view (Wallboard.can_view).
ACCESS_FIELDS = {"is_active", "is_staff", "is_superuser"}


def _after_commit(what: str, publish: Callable[[], None]) -> None:
    def run() -> None:
        try:
            publish()
        except Exception:
            logger.exception("Could not tell open screens about %s", what)

    transaction.on_commit(run)


def _publish_settings(wallboard_id: int) -> None:
    wallboard = Wallboard.objects.filter(pk=wallboard_id).first()
    if wallboard is not None:
        push.publish_to_wallboard(wallboard.pk, push.wallboard_message(wallboard))


@receiver(post_save, sender=Wallboard)
def wallboard_saved(sender: type[Wallboard], instance: Wallboard, **kwargs: Any) -> None:
    if not kwargs.get("created"):
        _after_commit(f"wallboard {instance.pk}", lambda: _publish_settings(instance.pk))


@receiver(post_save, sender=Panel)
@receiver(post_delete, sender=Panel)
def panel_changed(sender: type[Panel], instance: Panel, **kwargs: Any) -> None:
    # A panel saved with its wallboard in the admin repeats the wallboard's
    # message; screens keep the newest of the two.
    wallboard_id = instance.wallboard_id
    _after_commit(f"wallboard {wallboard_id}", lambda: _publish_settings(wallboard_id))


@receiver(m2m_changed, sender=Wallboard.rotation.through)
def rotation_changed(sender: type, instance: Wallboard, action: str, **kwargs: Any) -> None:
    if action in ("post_add", "post_remove", "post_clear") and isinstance(instance, Wallboard):
        _after_commit(f"wallboard {instance.pk}", lambda: _publish_settings(instance.pk))


@receiver(post_delete, sender=Wallboard)
def wallboard_deleted(sender: type[Wallboard], instance: Wallboard, **kwargs: Any) -> None:
    wallboard_id = instance.pk
    _after_commit(
        f"deleted wallboard {wallboard_id}", lambda: push.publish_wallboard_deleted(wallboard_id)
    )


@receiver(post_save, sender=DisplayToken)
def display_token_saved(sender: type[DisplayToken], instance: DisplayToken, **kwargs: Any) -> None:
    update_fields = kwargs.get("update_fields")
    if instance.revoked_at is not None and (update_fields is None or "revoked_at" in update_fields):
        token_id = instance.pk
        _after_commit(
            f"revoked display token {token_id}", lambda: push.publish_revocation(token_id)
        )


@receiver(post_delete, sender=DisplayToken)
def display_token_deleted(
    sender: type[DisplayToken], instance: DisplayToken, **kwargs: Any
) -> None:
    token_id = instance.pk
    _after_commit(f"deleted display token {token_id}", lambda: push.publish_revocation(token_id))


# --- Who may view a wallboard -------------------------------------------------
# A supervisor's open screen is checked again whenever their access may have
# shrunk, so taking a viewer off a wallboard closes their screen at once, as
# revoking a display token closes a TV's.


def _access_changed(wallboard_ids: Iterable[int] | None, user_id: int | None = None) -> None:
    """`wallboard_ids` None: every wallboard (the change's reach is not known)."""
    known = None if wallboard_ids is None else list(wallboard_ids)

    def publish() -> None:
        ids = known if known is not None else Wallboard.objects.values_list("pk", flat=True)
        push.publish_access_changed(ids, user_id)

    _after_commit("a change of who may view wallboards", publish)


def _only(pk_set: set[int] | None) -> int | None:
    return next(iter(pk_set)) if pk_set is not None and len(pk_set) == 1 else None


@receiver(m2m_changed, sender=Wallboard.viewers.through)
def viewers_changed(
    sender: type, instance: Any, action: str, reverse: bool, pk_set: set[int] | None, **kwargs: Any
) -> None:
    if action not in ACCESS_LOST:
        return
    if reverse:  # user.wallboards.remove(...): pk_set holds wallboards
        _access_changed(pk_set, user_id=instance.pk)
    else:  # wallboard.viewers.remove(...): pk_set holds users
        _access_changed([instance.pk], user_id=_only(pk_set))


@receiver(m2m_changed, sender=Wallboard.viewer_groups.through)
def viewer_groups_changed(
    sender: type, instance: Any, action: str, reverse: bool, pk_set: set[int] | None, **kwargs: Any
) -> None:
    if action in ACCESS_LOST:
        _access_changed(pk_set if reverse else [instance.pk])


@receiver(m2m_changed, sender=User.groups.through)
def user_groups_changed(
    sender: type, instance: Any, action: str, reverse: bool, pk_set: set[int] | None, **kwargs: Any
) -> None:
    if action not in ACCESS_LOST:
        return
    if reverse:  # group.user_set.remove(...): pk_set holds users
        boards = Wallboard.objects.filter(viewer_groups=instance)
        _access_changed(boards.values_list("pk", flat=True), user_id=_only(pk_set))
    elif pk_set is None:
        _access_changed(None, user_id=instance.pk)
    else:  # user.groups.remove(...): pk_set holds groups
        boards = Wallboard.objects.filter(viewer_groups__in=pk_set)
        _access_changed(boards.values_list("pk", flat=True), user_id=instance.pk)


@receiver(post_save, sender=User)
def user_saved(sender: type, instance: Any, created: bool, **kwargs: Any) -> None:
    update_fields = kwargs.get("update_fields")
    if not created and (update_fields is None or ACCESS_FIELDS & set(update_fields)):
        _access_changed(None, user_id=instance.pk)


@receiver(post_delete, sender=User)
def user_deleted(sender: type, instance: Any, **kwargs: Any) -> None:
    _access_changed(None, user_id=instance.pk)


@receiver(post_delete, sender=Group)
def group_deleted(sender: type, instance: Group, **kwargs: Any) -> None:
    _access_changed(None)


@receiver(post_delete, sender=Session)
def session_ended(sender: type[Session], instance: Session, **kwargs: Any) -> None:
    """Signed out, signed in as someone else, or expired and cleared: the
    screens opened in that session connect again and are checked afresh."""
    if SESSION_KEY in instance.get_decoded():
        session_key = instance.session_key
        _after_commit("an ended session", lambda: push.publish_session_ended(session_key))
