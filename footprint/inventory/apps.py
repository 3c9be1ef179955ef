from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "footprint.inventory"
    label = "inventory"
    verbose_name = "Inventory"
