"""The authentication backend grants exactly Django's permissions, in one query."""

import pytest
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

from alertsite.backends import SingleQueryModelBackend, user_with_permissions
from alertsite.roles import TECHNICIANS
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def fresh(user):
    return type(user).objects.get(pk=user.pk)


@pytest.fixture
def users():
    extra = Group.objects.create(name="auditors")
    extra.permissions.add(Permission.objects.get(codename="view_generationrun"))
    both = UserFactory(username="both", groups=[TECHNICIANS])
    both.groups.add(extra)
    both.user_permissions.add(
        Permission.objects.get(codename="generate_alerts"), Permission.objects.get(codename="view_alert")
    )
    return [
        both,
        UserFactory(username="own-only"),
        UserFactory(username="technician", groups=[TECHNICIANS]),
        UserFactory(username="root", is_superuser=True),
        UserFactory(username="gone", groups=[TECHNICIANS], is_active=False),
    ]


def test_the_same_permissions_as_djangos_backend(users):
    for user in users:
        ours = SingleQueryModelBackend().get_all_permissions(fresh(user))
        assert ours == ModelBackend().get_all_permissions(fresh(user)), user.username
    assert len(SingleQueryModelBackend().get_all_permissions(fresh(users[0]))) > 5


def test_one_query_then_cached_for_the_request(users):
    user = fresh(users[0])
    backend = SingleQueryModelBackend()

    with CaptureQueriesContext(connection) as captured:
        assert backend.has_perm(user, "alerts.generate_alerts")
        assert backend.has_perm(user, "alerts.view_generationrun")
        assert not backend.has_perm(user, "alerts.delete_alert")

    assert len(captured) == 1


def test_the_site_uses_it(users):
    user = fresh(users[2])

    assert user.has_perm("maintenance.change_maintenance")
    assert not user.has_perm("assets.delete_asset")
    assert hasattr(user, "_perm_cache")


def test_the_user_read_with_permissions_has_exactly_djangos(users):
    for user in users:
        with CaptureQueriesContext(connection) as captured:
            read = user_with_permissions(user.pk)
        assert len(captured) == 1, user.username
        assert read == user
        assert [getattr(read, field.attname) for field in type(user)._meta.concrete_fields] == [
            getattr(fresh(user), field.attname) for field in type(user)._meta.concrete_fields
        ], user.username
        assert read.get_all_permissions() == ModelBackend().get_all_permissions(fresh(user)), user.username
        assert read.has_perm("alerts.generate_alerts") == fresh(user).has_perm("alerts.generate_alerts")


def test_a_permission_check_after_it_costs_no_query(users):
    read = user_with_permissions(users[0].pk)

    with CaptureQueriesContext(connection) as captured:
        assert read.has_perms(["alerts.generate_alerts", "alerts.view_generationrun"])
        assert not read.has_perm("alerts.delete_alert")

    assert len(captured) == 0


def test_no_user_with_that_id():
    assert user_with_permissions(10**12) is None


def test_no_permission_name_holds_the_separator_of_the_aggregated_names():
    names = Permission.objects.values_list("content_type__app_label", "codename")

    assert names
    assert not [name for name in names if " " in f"{name[0]}.{name[1]}"]
