from django.db import migrations

# Frozen here (not read from the roles module): what this migration grants.
PLAN_PERMISSIONS = {
    "managers": ["view_maintenanceplan", "add_maintenanceplan", "change_maintenanceplan", "delete_maintenanceplan"],
    "technicians": ["view_maintenanceplan"],
}


def grant_plan_permissions(apps, schema_editor):
    """Managers manage plans, technicians read them; other permissions of the groups are kept."""
    from django.contrib.auth.management import create_permissions

    # Model permissions appear only after all migrations ran (post_migrate): create them now.
    app_config = apps.get_app_config("maintenance")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group in Group.objects.filter(name__in=PLAN_PERMISSIONS):
        group.permissions.add(
            *Permission.objects.filter(
                content_type__app_label="maintenance", codename__in=PLAN_PERMISSIONS[group.name]
            )
        )


def revoke_plan_permissions(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group in Group.objects.filter(name__in=PLAN_PERMISSIONS):
        group.permissions.remove(
            *Permission.objects.filter(
                content_type__app_label="maintenance", codename__in=PLAN_PERMISSIONS[group.name]
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("maintenance", "0002_plans"),
        # The role groups exist from then on.
        ("alerts", "0003_managers_view_users"),
    ]

    operations = [migrations.RunPython(grant_plan_permissions, revoke_plan_permissions)]
