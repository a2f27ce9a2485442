"""Shared fixtures: users per role, factories, a frozen clock."""

import datetime
import os

import hypothesis
import pytest
import time_machine

from alertsite.roles import MANAGERS, TECHNICIANS
from tests.factories import UserFactory

# Property and fuzz tests try the same examples on every run, so the suite passes or fails the
# same way each time: derandomized, and no example database replaying earlier failures.
# HYPOTHESIS_PROFILE=random (with FUZZ_SEED=random for the schema fuzzing) for wider, random runs.
hypothesis.settings.register_profile("suite", derandomize=True, database=None, print_blob=True)
hypothesis.settings.register_profile("random", derandomize=False, database=None, print_blob=True)
hypothesis.settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "suite"))

# Fixtures of the scheduling tests: a site run by fresh processes, as cron runs it.
pytest_plugins = ["tests.scheduling_site"]


def pytest_collection_modifyitems(config, items):
    from django.db import connection

    if connection.vendor != "postgresql":
        skip = pytest.mark.skip(reason="needs PostgreSQL (run with DATABASE_URL=postgres://...)")
        for item in items:
            if "postgres" in item.keywords:
                item.add_marker(skip)


@pytest.fixture(autouse=True)
def _fresh_crontab_listing():
    """The API reuses a recent `crontab -l` for a few seconds; a test starts with none."""
    from alerts.scheduling import forget_crontab

    forget_crontab()


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the site's language: a request in French leaves French active in the
    thread (LocaleMiddleware does not restore it), and a later test would read its messages in French."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture
def frozen_now() -> datetime.datetime:
    """The moment `frozen_clock` stops at; a test module may override it."""
    return datetime.datetime(2026, 6, 15, 12, 0, tzinfo=datetime.UTC)


@pytest.fixture
def frozen_clock(frozen_now):
    """Time stands still at `frozen_now` (time-machine); `frozen_clock.shift(...)` moves it."""
    with time_machine.travel(frozen_now, tick=False) as traveller:
        yield traveller


@pytest.fixture
def manager(db):
    return UserFactory(username="manager", groups=[MANAGERS], is_staff=True)


@pytest.fixture
def technician(db):
    return UserFactory(username="technician", groups=[TECHNICIANS])


@pytest.fixture
def superuser(db):
    return UserFactory(username="admin", is_staff=True, is_superuser=True)


def _api_client():
    """DRF's test client; a streamed list's body is read at once, so `response.json()` works."""
    import json

    from rest_framework.test import APIClient

    class Client(APIClient):
        def request(self, **kwargs):
            response = super().request(**kwargs)
            if response.streaming:
                response.streamed_body = b"".join(response.streaming_content)
                response.json = lambda **extra: json.loads(response.streamed_body, **extra)
            return response

    return Client()


@pytest.fixture
def api_client(db):
    """An anonymous API client; the token endpoint's throttle (in the database cache) starts from zero."""
    from django.core.cache import cache

    cache.clear()
    return _api_client()


def _client_for(user):
    from rest_framework_simplejwt.tokens import AccessToken

    client = _api_client()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(user)}")
    client.user = user
    return client


@pytest.fixture
def manager_client(manager):
    return _client_for(manager)


@pytest.fixture
def technician_client(technician):
    return _client_for(technician)


@pytest.fixture
def superuser_client(superuser):
    return _client_for(superuser)


@pytest.fixture
def other_session():
    """A second, independent database session (another process or host)."""
    import psycopg
    from django.db import connection

    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with psycopg.connect(**params, autocommit=True) as session:
        yield session
