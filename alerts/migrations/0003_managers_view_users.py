from django.db import migrations


def sync_groups(apps, schema_editor):
    from alertsite.roles import sync_role_groups

    sync_role_groups(apps)


class Migration(migrations.Migration):
    """Managers may view users, to assign maintenances to technicians in the admin."""

    dependencies = [("alerts", "0002_role_groups")]

    operations = [migrations.RunPython(sync_groups, migrations.RunPython.noop)]
