from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "footprint.accounts"
    label = "accounts"
    verbose_name = "Accounts, roles and API tokens"

    def ready(self) -> None:
        # Registers the token's OpenAPI security scheme with drf-spectacular.
        from footprint.accounts import authentication  # noqa: F401
