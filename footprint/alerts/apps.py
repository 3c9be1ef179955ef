from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "footprint.alerts"
    label = "alerts"
    verbose_name = "Alerts (Slack)"
