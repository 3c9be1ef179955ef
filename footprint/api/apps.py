from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "footprint.api"
    label = "api"
    verbose_name = "REST API"
