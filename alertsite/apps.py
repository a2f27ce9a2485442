from django.apps import AppConfig


class AlertsiteConfig(AppConfig):
    """The project package as an app: the pieces every app may rely on.

    Roles, the demo data, token issuing and the health check span assets,
    maintenance and alerts; living here, they let the apps depend downward
    only (alerts → maintenance → assets).
    """

    name = "alertsite"
    verbose_name = "alertsite"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from alertsite.caches import create_cache_tables
        from alertsite.roles import restore_missing_role_groups

        # Listed last in INSTALLED_APPS, so every app's permissions exist by
        # the time this app's post_migrate is sent.
        post_migrate.connect(restore_missing_role_groups, sender=self, dispatch_uid="alertsite_role_groups")
        # The database cache's table (throttles shared by every process), in the same migrate run.
        post_migrate.connect(create_cache_tables, sender=self, dispatch_uid="alertsite_cache_tables")
