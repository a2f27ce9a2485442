from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "alerts"
    verbose_name = "Alerts"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from alerts import checks, signals  # noqa: F401  (registers the checks, connects the instant refresh)
        from alerts.roles import restore_missing_role_groups
        from alertsite.caches import create_cache_tables

        # After the permissions of every app (auth's handler, connected earlier, runs first).
        post_migrate.connect(restore_missing_role_groups, sender=self, dispatch_uid="alerts_role_groups")
        # The database cache's table (throttles shared by every process), in the same migrate run.
        post_migrate.connect(create_cache_tables, sender=self, dispatch_uid="alertsite_cache_tables")
