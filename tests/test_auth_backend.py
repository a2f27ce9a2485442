"""The authentication backend grants exactly Django's permissions, in one query."""

import pytest
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

from alertsite.backends import SingleQueryModelBackend
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
