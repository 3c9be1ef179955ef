from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "footprint.web"
    label = "web"
    verbose_name = "Dashboard"
