from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "dashboard"
    verbose_name = "Wallboards"

    def ready(self) -> None:
        # Open screens follow what admins save: settings, revoked tokens.
        from connectmetrics.alerts import screen_port
        from connectmetrics.poller import screens
        from dashboard import push, signals  # noqa: F401

        # Polls and open alerts reach the screens through the channel layer.
        publisher = push.ChannelLayerPublisher()
        screens.plug_in(publisher)
        screen_port.plug_in(publisher)
