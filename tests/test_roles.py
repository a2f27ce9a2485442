"""The role groups of DESIGN §5 survive a flush and keep what a site added to them."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command

from alertsite.roles import MANAGERS, ROLE_PERMISSIONS, TECHNICIANS
from tests.scheduling_site import SECRET, Site


def codenames(group_name: str) -> set[tuple[str, str]]:
    permissions = Group.objects.get(name=group_name).permissions.all()
    return set(permissions.values_list("content_type__app_label", "codename"))


@pytest.mark.django_db(transaction=True)
def test_a_flush_puts_the_role_groups_back_with_their_permissions():
    call_command("flush", "--no-input", verbosity=0)

    assert codenames(MANAGERS) == set(ROLE_PERMISSIONS[MANAGERS])
    assert codenames(TECHNICIANS) == set(ROLE_PERMISSIONS[TECHNICIANS])


@pytest.mark.django_db(transaction=True)
def test_migrate_keeps_a_permission_the_site_gave_a_role():
    technicians = Group.objects.get(name=TECHNICIANS)
    technicians.permissions.add(Permission.objects.get(codename="add_maintenance"))

    call_command("migrate", verbosity=0)

    assert ("maintenance", "add_maintenance") in codenames(TECHNICIANS)


def test_a_partial_migrate_of_a_new_database_then_a_full_one(tmp_path):
    """`migrate maintenance` first: the alerts' permissions do not exist yet, and nothing fails."""
    site = Site(tmp_path, f"sqlite:///{tmp_path / 'db.sqlite3'}")
    site.configure(SECRET_KEY=SECRET, DATABASE_URL=site.database_url)

    site.manage("migrate", "maintenance", "--no-input")
    site.manage("migrate", "--no-input")
    groups = site.manage(
        "shell",
        "--verbosity",
        "0",
        "-c",
        "from django.contrib.auth.models import Group\n"
        "print(sorted((g.name, g.permissions.count()) for g in Group.objects.all()))",
    )

    assert groups.stdout.strip() == str(
        sorted((name, len(perms)) for name, perms in ROLE_PERMISSIONS.items())
    )
