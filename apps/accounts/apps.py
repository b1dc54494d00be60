from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "apps.accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from .throttle import connect_signals

        connect_signals()  # failed and successful logins feed the login throttle
