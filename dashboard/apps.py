from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "dashboard"
    verbose_name = "Wallboards"

    def ready(self) -> None:
        # Open screens follow what admins save: settings, revoked tokens.
        from connectmetrics import screens
        from dashboard import push, signals  # noqa: F401

        # Polls reach the screens through the channel layer.
        screens.plug_in(push.ChannelLayerPublisher())
