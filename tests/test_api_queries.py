"""List endpoints cost the same, known number of queries for 3 rows as for 30 (no N+1)."""

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

# Statements per request, whatever the number of rows: the token's user with
# their permissions (one statement, `alertsite.backends.user_with_permissions`),
# the ETag's aggregate on the alert list and stats, the count of a page or of a
# capped array (API_MAX_LIST), and the rows.
EXPECTED_QUERIES = {
    "/api/alerts": 4,
    "/api/alerts?limit=50": 4,
    "/api/alerts?is_active=all&priority=HIGH": 4,
    "/api/assets": 3,
    "/api/assets?limit=50&search=a": 3,
    "/api/maintenances": 3,
    "/api/maintenances?limit=50&status=PLANNED": 3,
    # The run history is the 50 most recent: no count.
    "/api/alerts/runs": 2,
    "/api/alerts/runs?limit=50": 3,
    # The user, the ETag's aggregate, the grouped counts.
    "/api/alerts/stats": 3,
}
LIST_URLS = list(EXPECTED_QUERIES)


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

    assert many == few == EXPECTED_QUERIES[url]
