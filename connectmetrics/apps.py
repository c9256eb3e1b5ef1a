from typing import Any

from django.apps import AppConfig


class ConnectMetricsConfig(AppConfig):
    name = "connectmetrics"
    verbose_name = "Amazon Connect"

    def ready(self) -> None:
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from connectmetrics.models import ApiToken, AwsAccessKey, ConnectInstance
        from connectmetrics.models.access_memo import changed

        # Whatever an access decision reads (connectmetrics.models.access_memo).
        for model in (ConnectInstance, ApiToken, AwsAccessKey):
            post_save.connect(_saved, sender=model, dispatch_uid=f"access-{model.__name__}")
            post_delete.connect(changed, sender=model, dispatch_uid=f"access-del-{model.__name__}")
        for credential in (ApiToken, AwsAccessKey):
            m2m_changed.connect(
                changed,
                sender=credential.instances.through,
                dispatch_uid=f"access-m2m-{credential.__name__}",
            )


def _saved(sender: Any, update_fields: Any = None, **_: Any) -> None:
    from connectmetrics.models.access_memo import changed

    quiet = sender.objects.get_queryset().quiet
    if update_fields is None or not set(update_fields) <= quiet:
        changed()
