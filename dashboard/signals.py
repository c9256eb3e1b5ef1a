"""Open screens follow the admin at once: settings, revocations, deletions.

Each message is published after the transaction commits, built from what was
committed (the admin saves a wallboard's rotation after the wallboard itself).
A failed publish (Redis down) never fails the admin's save: screens get the
settings on their next connect, and the once-a-minute token check
(dashboard/sightings.py) closes revoked screens.
"""

import logging
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from dashboard import push
from dashboard.models import DisplayToken, Wallboard

logger = logging.getLogger(__name__)


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
