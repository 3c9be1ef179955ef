from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "footprint.accounts"
    label = "accounts"
    verbose_name = "Accounts, roles and API tokens"
