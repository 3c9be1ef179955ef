from django.apps import AppConfig


class FindingsConfig(AppConfig):
    name = "footprint.findings"
    label = "findings"
    verbose_name = "Findings"
