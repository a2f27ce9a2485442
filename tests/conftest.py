"""Shared fixtures: users per role, factories, a frozen clock."""

import pytest

from alerts.roles import MANAGERS, TECHNICIANS
from tests.factories import UserFactory


def pytest_collection_modifyitems(config, items):
    from django.db import connection

    if connection.vendor != "postgresql":
        skip = pytest.mark.skip(reason="needs PostgreSQL (run with DATABASE_URL=postgres://...)")
        for item in items:
            if "postgres" in item.keywords:
                item.add_marker(skip)


@pytest.fixture
def manager(db):
    return UserFactory(username="manager", groups=[MANAGERS], is_staff=True)


@pytest.fixture
def technician(db):
    return UserFactory(username="technician", groups=[TECHNICIANS])


@pytest.fixture
def superuser(db):
    return UserFactory(username="admin", is_staff=True, is_superuser=True)
