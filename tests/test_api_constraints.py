"""A constraint the database enforces answers field messages, never the database's own text."""

import logging
import threading
import time

import pytest
from django.db import IntegrityError, connections, transaction
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from alertsite.api.exceptions import constraint_errors
from assets.api.views import AssetViewSet
from assets.models import Asset
from tests.factories import AssetFactory

DUPLICATE = {"code": ["An asset with this code already exists."]}


def _client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(user)}")
    return client


@pytest.mark.django_db
def test_a_duplicate_code_seen_by_the_serializer_has_the_same_message(manager_client):
    AssetFactory(code="PUMP-1")

    response = manager_client.post("/api/assets", {"code": "PUMP-1", "name": "Pump"})

    assert response.status_code == 400
    assert response.json() == DUPLICATE


@pytest.mark.django_db
def test_a_unique_violation_from_the_database_maps_to_its_field():
    AssetFactory(code="PUMP-1")
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        Asset.objects.create(code="PUMP-1", name="Pump")

    assert constraint_errors(caught.value, AssetViewSet()) == DUPLICATE


@pytest.mark.django_db
def test_a_check_violation_from_the_database_gives_its_message():
    asset = AssetFactory()
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        Asset.objects.filter(pk=asset.pk).update(maintenance_interval_days=0)

    assert constraint_errors(caught.value, AssetViewSet()) == {
        "non_field_errors": ["The maintenance interval must be at least one day."]
    }


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_duplicate_committed_meanwhile_is_a_field_message(manager, other_session, caplog):
    """The serializer sees no duplicate; the insert then waits for, and collides with, another session's."""
    client = _client(manager)
    other_session.execute("BEGIN")
    other_session.execute(
        "INSERT INTO assets_asset (code, name, location, status, criticality, created_at, updated_at) "
        "VALUES ('RACE-0', 'Pump', '', 'OPERATIONAL', 'MEDIUM', now(), now())"
    )
    answered = {}

    def send():
        try:
            answered["response"] = client.post("/api/assets", {"code": "RACE-0", "name": "Pump"})
        finally:
            connections.close_all()

    thread = threading.Thread(target=send)
    with caplog.at_level(logging.WARNING, logger="alertsite.api.exceptions"):
        thread.start()
        _wait_for_a_blocked_insert(other_session)
        other_session.execute("COMMIT")
        thread.join(timeout=30)

    response = answered["response"]
    assert response.status_code == 400
    assert response.json() == DUPLICATE
    assert b"assets_asset" not in response.content and b"RACE-0" not in response.content
    assert "assets_asset_code" in caplog.text  # the database's text is logged for the operator


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_eight_concurrent_creates_of_one_code(manager):
    barrier = threading.Barrier(8)
    responses = []

    def send():
        client = _client(manager)
        try:
            barrier.wait(timeout=30)
            responses.append(client.post("/api/assets", {"code": "RACE-1", "name": "Pump"}))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(r.status_code for r in responses) == [201] + [400] * 7
    assert all(r.json() == DUPLICATE for r in responses if r.status_code == 400)
    assert Asset.objects.filter(code="RACE-1").count() == 1


def _wait_for_a_blocked_insert(session, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        # Inside its transaction the session would keep reading its first snapshot of the statistics.
        session.execute("SELECT pg_stat_clear_snapshot()")
        waiting = session.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE wait_event_type = 'Lock' AND query LIKE 'INSERT INTO %assets_asset%' "
            "AND datname = current_database()"
        ).fetchone()[0]
        if waiting:
            return
        time.sleep(0.05)
    raise AssertionError("the API's insert never waited for the other session")
