from django.apps import AppConfig


class CostsConfig(AppConfig):
    name = "footprint.costs"
    label = "costs"
    verbose_name = "Costs"
