"""The two roles of DESIGN §5, as Django groups with model permissions."""

MANAGERS = "managers"
TECHNICIANS = "technicians"

_CRUD = ("view", "add", "change", "delete")

ROLE_PERMISSIONS: dict[str, list[tuple[str, str]]] = {
    MANAGERS: [
        *[("assets", f"{action}_asset") for action in _CRUD],
        *[("assets", f"{action}_meter") for action in _CRUD],
        *[("assets", f"{action}_meterreading") for action in _CRUD],
        *[("maintenance", f"{action}_maintenance") for action in _CRUD],
        *[("maintenance", f"{action}_maintenanceplan") for action in _CRUD],
        *[("alerts", f"{action}_alert") for action in _CRUD],
        ("alerts", "view_generationrun"),
        ("alerts", "generate_alerts"),
        # Everyone's subscriptions and delivery log (anyone who may view alerts manages their own).
        *[("alerts", f"{action}_subscription") for action in _CRUD],
        ("alerts", "view_notification"),
        ("alerts", "change_notification"),
        # To pick a maintenance's assignee in the admin (its autocomplete lists users).
        ("auth", "view_user"),
    ],
    TECHNICIANS: [
        ("assets", "view_asset"),
        ("assets", "view_meter"),
        ("assets", "view_meterreading"),
        # Meter readings come from the field (DESIGN §14).
        ("assets", "add_meterreading"),
        ("maintenance", "view_maintenance"),
        ("maintenance", "change_maintenance"),
        ("maintenance", "view_maintenanceplan"),
        ("alerts", "view_alert"),
        # Marking an alert read or unread is a change of the alert.
        ("alerts", "change_alert"),
        ("alerts", "view_generationrun"),
    ],
}


def sync_role_groups(apps) -> None:
    """Create the role groups and give them exactly their permissions.

    Called from a data migration with the historical app registry. Model
    permissions normally appear only after all migrations ran (post_migrate),
    so they are created here first.
    """
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    for group_name in ROLE_PERMISSIONS:
        group, _ = Group.objects.get_or_create(name=group_name)
        group.permissions.set(_permissions(apps, group_name))


def restore_missing_role_groups(sender, apps=None, using="default", **kwargs) -> None:
    """post_migrate: recreate a role group that is missing, with its permissions.

    A group that exists is left as it is, so permissions a site added to it in
    the admin survive every `migrate`. What removes the groups is a database
    flush (`manage.py flush`, the test runner's between transactional tests),
    which sends post_migrate again after creating the permissions. After a
    partial `migrate` (some app not there yet) it waits for a later one.
    """
    from django.apps import apps as global_apps

    apps = apps or global_apps
    try:
        Group = apps.get_model("auth", "Group")
        Permission = apps.get_model("auth", "Permission")
    except LookupError:
        return
    for group_name, wanted in ROLE_PERMISSIONS.items():
        if Group.objects.using(using).filter(name=group_name).exists():
            continue
        found = [
            permission
            for app_label, codename in wanted
            for permission in Permission.objects.using(using).filter(
                content_type__app_label=app_label, codename=codename
            )
        ]
        if len(found) == len(wanted):
            Group.objects.using(using).create(name=group_name).permissions.set(found)


def _permissions(apps, group_name: str) -> list:
    # A migration sees the models of its time: a later model's permissions are
    # granted by that model's own migration (e.g. maintenance 0003 for plans).
    Permission = apps.get_model("auth", "Permission")
    # An older migration runs before later models exist: their permissions
    # come with the migration that creates them (it syncs again).
    return [
        permission
        for app_label, codename in ROLE_PERMISSIONS[group_name]
        for permission in Permission.objects.filter(content_type__app_label=app_label, codename=codename)
    ]
