from django.db import migrations

# Frozen here (not read from the roles module): what this migration grants.
METER_PERMISSIONS = {
    "managers": [
        *[f"{action}_{model}" for model in ("meter", "meterreading") for action in ("view", "add", "change", "delete")]
    ],
    # Technicians read meters and post readings (DESIGN §14).
    "technicians": ["view_meter", "view_meterreading", "add_meterreading"],
}


def grant_meter_permissions(apps, schema_editor):
    """Managers manage meters, technicians read them and post readings; other permissions are kept."""
    from django.contrib.auth.management import create_permissions

    # Model permissions appear only after all migrations ran (post_migrate): create them now.
    app_config = apps.get_app_config("assets")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group in Group.objects.filter(name__in=METER_PERMISSIONS):
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label="assets", codename__in=METER_PERMISSIONS[group.name])
        )


def revoke_meter_permissions(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group in Group.objects.filter(name__in=METER_PERMISSIONS):
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label="assets", codename__in=METER_PERMISSIONS[group.name])
        )


class Migration(migrations.Migration):
    dependencies = [
        ("assets", "0004_meters"),
        # The role groups exist from then on.
        ("alerts", "0003_managers_view_users"),
    ]

    operations = [migrations.RunPython(grant_meter_permissions, revoke_meter_permissions)]
