from django.apps import AppConfig


class ActionsConfig(AppConfig):
    name = "footprint.actions"
    label = "actions"
    verbose_name = "Deploy actions and audit trail"
