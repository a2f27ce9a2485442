"""List endpoints cost the same number of queries for 3 rows as for 30 (no N+1)."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from alerts.choices import RunStatus, RunTrigger
from alerts.models import GenerationRun
from alerts.services import generate_alerts
from assets.choices import AssetStatus
from tests.factories import AssetFactory, MaintenanceFactory, UserFactory

pytestmark = pytest.mark.django_db

LIST_URLS = [
    "/api/alerts",
    "/api/alerts?limit=50",
    "/api/alerts?is_active=all&priority=HIGH",
    "/api/assets",
    "/api/assets?limit=50&search=a",
    "/api/maintenances",
    "/api/maintenances?limit=50&status=PLANNED",
    "/api/alerts/runs",
    "/api/alerts/runs?limit=50",
    "/api/alerts/stats",
]


def add_rows(n: int) -> None:
    """n assets each with an alert, n maintenances (assigned) with alerts, n runs."""
    user = UserFactory(username="assignee")
    for _ in range(n):
        asset = AssetFactory(status=AssetStatus.OUT_OF_SERVICE)
        MaintenanceFactory(asset=asset, scheduled_date=datetime.date(2020, 1, 1), assigned_to=user)
        GenerationRun.objects.create(
            trigger=RunTrigger.CRON,
            status=RunStatus.SUCCESS,
            started_at=datetime.datetime.now(tz=datetime.UTC),
        )
    generate_alerts(record_run=False)


def queries(client, url: str, expected_rows: int) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, response.content
    body = response.json()
    rows = body["results"] if isinstance(body, dict) and "results" in body else body
    if isinstance(rows, list):
        assert len(rows) >= expected_rows
    return len(captured)


@pytest.mark.parametrize("url", LIST_URLS)
def test_list_queries_do_not_grow_with_rows(manager_client, url):
    add_rows(3)
    few = queries(manager_client, url, 1)

    add_rows(27)
    many = queries(manager_client, url, 4)

    assert many == few
    # Authentication, permissions, the count of a page and the rows: a handful.
    assert few <= 5
