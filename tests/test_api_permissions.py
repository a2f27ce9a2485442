"""Who may do what: every endpoint and method, for every role (DESIGN §5)."""

import datetime

import pytest
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from alerts.choices import RunStatus, RunTrigger
from alerts.models import Alert, GenerationRun, Notification, Subscription
from alerts.services import generate_alerts
from assets.choices import AssetStatus
from tests.factories import (
    AssetFactory,
    MaintenanceFactory,
    MaintenancePlanFactory,
    MeterFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "nobody", "technician", "manager", "superuser"]

NEW_ASSET = {"code": "NEW-001", "name": "New pump"}
ASSET_CHANGE = {"code": "PUMP-001", "name": "Renamed pump"}


NEW_PLAN_FIELDS = {"title": "Oil change", "interval": 3, "interval_unit": "MONTH", "starts_on": "2030-01-01"}


def new_plan(objects):
    return {"asset": objects["asset"].pk, **NEW_PLAN_FIELDS}


def new_meter(objects):
    return {"asset": objects["asset"].pk, "name": "Odometer", "unit": "km"}


def new_maintenance(objects):
    return {"asset": objects["asset"].pk, "title": "Check", "scheduled_date": "2030-01-01"}


def snooze_body(objects):
    until = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=1)
    return {"until": until.isoformat(), "reason": "Waiting for parts"}


# (method, url, body, expected status for anonymous, nobody, technician, manager, superuser).
# "nobody" is an authenticated user in no group: authenticated, but allowed nothing.
MATRIX = [
    ("get", "/api/alerts", None, (401, 403, 200, 200, 200)),
    ("get", "/api/alerts/{alert}", None, (401, 403, 200, 200, 200)),
    ("post", "/api/alerts", {}, (401, 405, 405, 405, 405)),
    ("put", "/api/alerts/{alert}", {}, (401, 405, 405, 405, 405)),
    ("patch", "/api/alerts/{alert}", {}, (401, 405, 405, 405, 405)),
    ("delete", "/api/alerts/{alert}", None, (401, 405, 405, 405, 405)),
    ("post", "/api/alerts/{alert}/read", None, (401, 403, 200, 200, 200)),
    ("post", "/api/alerts/{alert}/unread", None, (401, 403, 200, 200, 200)),
    ("get", "/api/alerts/{alert}/read", None, (401, 405, 405, 405, 405)),
    ("post", "/api/alerts/read-all", None, (401, 403, 200, 200, 200)),
    ("post", "/api/alerts/{alert}/acknowledge", {"note": "On it"}, (401, 403, 200, 200, 200)),
    ("post", "/api/alerts/{alert}/unacknowledge", None, (401, 403, 200, 200, 200)),
    ("post", "/api/alerts/{alert}/snooze", snooze_body, (401, 403, 200, 200, 200)),
    ("post", "/api/alerts/{alert}/unsnooze", None, (401, 403, 200, 200, 200)),
    ("get", "/api/alerts/{alert}/snooze", None, (401, 405, 405, 405, 405)),
    ("post", "/api/alerts/generate", None, (401, 403, 403, 200, 200)),
    ("get", "/api/alerts/generate", None, (401, 405, 405, 405, 405)),
    ("get", "/api/alerts/stats", None, (401, 403, 200, 200, 200)),
    ("get", "/api/alerts/history", None, (401, 403, 200, 200, 200)),
    ("get", "/api/alerts/{alert}/events", None, (401, 403, 200, 200, 200)),
    ("post", "/api/alerts/{alert}/events", None, (401, 405, 405, 405, 405)),
    ("get", "/api/alerts/scheduler", None, (401, 200, 200, 200, 200)),
    ("get", "/api/alerts/runs", None, (401, 403, 200, 200, 200)),
    ("get", "/api/alerts/runs/{run}", None, (401, 403, 200, 200, 200)),
    ("delete", "/api/alerts/runs/{run}", None, (401, 405, 405, 405, 405)),
    ("get", "/api/assets", None, (401, 403, 200, 200, 200)),
    ("post", "/api/assets", NEW_ASSET, (401, 403, 403, 201, 201)),
    ("get", "/api/assets/{asset}", None, (401, 403, 200, 200, 200)),
    ("put", "/api/assets/{asset}", ASSET_CHANGE, (401, 403, 403, 200, 200)),
    ("patch", "/api/assets/{asset}", {"name": "Renamed"}, (401, 403, 403, 200, 200)),
    ("delete", "/api/assets/{asset}", None, (401, 403, 403, 204, 204)),
    ("get", "/api/maintenances", None, (401, 403, 200, 200, 200)),
    ("post", "/api/maintenances", new_maintenance, (401, 403, 403, 201, 201)),
    ("get", "/api/maintenances/{maintenance}", None, (401, 403, 200, 200, 200)),
    ("put", "/api/maintenances/{maintenance}", new_maintenance, (401, 403, 200, 200, 200)),
    ("patch", "/api/maintenances/{maintenance}", {"status": "IN_PROGRESS"}, (401, 403, 200, 200, 200)),
    ("delete", "/api/maintenances/{maintenance}", None, (401, 403, 403, 204, 204)),
    ("post", "/api/maintenances/{maintenance}/complete", None, (401, 403, 200, 200, 200)),
    ("get", "/api/plans", None, (401, 403, 200, 200, 200)),
    ("post", "/api/plans", new_plan, (401, 403, 403, 201, 201)),
    ("get", "/api/plans/{plan}", None, (401, 403, 200, 200, 200)),
    ("put", "/api/plans/{plan}", new_plan, (401, 403, 403, 200, 200)),
    ("patch", "/api/plans/{plan}", {"title": "Renamed"}, (401, 403, 403, 200, 200)),
    ("delete", "/api/plans/{plan}", None, (401, 403, 403, 204, 204)),
    ("get", "/api/plans/{plan}/occurrences", None, (401, 403, 200, 200, 200)),
    ("post", "/api/plans/{plan}/occurrences", None, (401, 405, 405, 405, 405)),
    ("get", "/api/subscriptions", None, (401, 403, 200, 200, 200)),
    ("post", "/api/subscriptions", {"name": "mine", "channel": "EMAIL"}, (401, 403, 201, 201, 201)),
    ("get", "/api/subscriptions/{subscription}", None, (401, 403, 404, 200, 200)),
    ("patch", "/api/subscriptions/{subscription}", {"name": "x"}, (401, 403, 404, 200, 200)),
    ("delete", "/api/subscriptions/{subscription}", None, (401, 403, 404, 204, 204)),
    ("post", "/api/subscriptions/{subscription}/test", None, (401, 403, 404, 200, 200)),
    ("post", "/api/subscriptions/{subscription}/rotate-secret", None, (401, 403, 404, 400, 400)),
    ("get", "/api/notifications", None, (401, 403, 200, 200, 200)),
    ("get", "/api/notifications/{notification}", None, (401, 403, 404, 200, 200)),
    ("post", "/api/notifications/{notification}/retry", None, (401, 403, 404, 200, 200)),
    ("delete", "/api/notifications/{notification}", None, (401, 405, 405, 405, 405)),
    ("get", "/api/meters", None, (401, 403, 200, 200, 200)),
    ("post", "/api/meters", new_meter, (401, 403, 403, 201, 201)),
    ("get", "/api/meters/{meter}", None, (401, 403, 200, 200, 200)),
    ("put", "/api/meters/{meter}", new_meter, (401, 403, 403, 200, 200)),
    ("patch", "/api/meters/{meter}", {"name": "Renamed"}, (401, 403, 403, 200, 200)),
    ("delete", "/api/meters/{meter}", None, (401, 403, 403, 204, 204)),
    ("get", "/api/meters/{meter}/readings", None, (401, 403, 200, 200, 200)),
    # Technicians post readings (DESIGN §14).
    ("post", "/api/meters/{meter}/readings", {"value": 12.5}, (401, 403, 201, 201, 201)),
    ("get", "/api/me", None, (401, 200, 200, 200, 200)),
    ("post", "/api/me", {}, (401, 405, 405, 405, 405)),
    ("post", "/api/me/calendar-token", None, (401, 200, 200, 200, 200)),
    ("get", "/api/me/calendar-token", None, (401, 405, 405, 405, 405)),
    # The feed opens with its own token only, never a JWT (tests/test_calendar.py).
    ("get", "/api/calendar.ics", None, (404, 404, 404, 404, 404)),
    ("get", "/api/schema/", None, (200, 200, 200, 200, 200)),
    ("get", "/api/docs/", None, (200, 200, 200, 200, 200)),
]


@pytest.fixture
def objects():
    asset = AssetFactory(code="PUMP-001", status=AssetStatus.NEEDS_MAINTENANCE)
    maintenance = MaintenanceFactory(asset=asset, scheduled_date=datetime.date(2020, 1, 1))
    generate_alerts()
    run = GenerationRun.objects.create(
        trigger=RunTrigger.CRON,
        status=RunStatus.SUCCESS,
        started_at=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC),
    )
    plan = MaintenancePlanFactory(asset=asset)
    # Someone else's subscription and notice: a technician does not see them, a manager does.
    subscription = Subscription.objects.create(
        user=UserFactory(username="owner"), name="owner's", channel="EMAIL", target="owner@example.com"
    )
    notification = Notification.objects.create(
        subscription=subscription,
        kind="TEST",
        dedup_key="test-matrix",
        status="FAILED",
        next_attempt_at=run.started_at,
        created_at=run.started_at,
    )
    meter = MeterFactory(asset=asset)
    return {
        "asset": asset,
        "maintenance": maintenance,
        "alert": Alert.objects.first(),
        "run": run,
        "plan": plan,
        "subscription": subscription,
        "notification": notification,
        "meter": meter,
    }


def client_for(role, request):
    client = APIClient()
    if role == "anonymous":
        return client
    user = UserFactory(username="nobody") if role == "nobody" else request.getfixturevalue(role)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(user)}")
    return client


@pytest.mark.parametrize(
    ("role", "method", "url", "body", "expected"),
    [
        pytest.param(role, method, url, body, statuses[i], id=f"{role}-{method.upper()}-{url}")
        for method, url, body, statuses in MATRIX
        for i, role in enumerate(ROLES)
    ],
)
def test_permission_matrix(request, objects, role, method, url, body, expected):
    client = client_for(role, request)
    path = url.format(**{name: obj.pk for name, obj in objects.items()})
    data = body(objects) if callable(body) else body

    response = getattr(client, method)(path, data)

    assert response.status_code == expected, response.content
    if path.startswith("/api/docs") or expected == 204:
        return
    assert response["Content-Type"].startswith(("application/json", "application/vnd.oai.openapi"))
    if expected >= 400:
        assert response.json()["detail"]


def test_every_api_route_is_in_the_matrix():
    """A new endpoint must come with its row in the matrix."""
    from alertsite.api.urls import urlpatterns

    routes = set()

    def walk(patterns, prefix):
        for pattern in patterns:
            regex = prefix + str(pattern.pattern).lstrip("^").removesuffix("$")
            if hasattr(pattern, "url_patterns"):
                walk(pattern.url_patterns, regex)
            else:
                routes.add(regex.replace("\\.", "."))

    walk(urlpatterns, "api/")
    tested = {
        "api/"
        + url.removeprefix("/api/")
        .rstrip("/")
        .replace("{alert}", "(?P<pk>[0-9]+)")
        .replace("{run}", "(?P<pk>[0-9]+)")
        .replace("{asset}", "(?P<pk>[0-9]+)")
        .replace("{maintenance}", "(?P<pk>[0-9]+)")
        .replace("{plan}", "(?P<pk>[0-9]+)")
        .replace("{subscription}", "(?P<pk>[0-9]+)")
        .replace("{notification}", "(?P<pk>[0-9]+)")
        .replace("{meter}", "(?P<pk>[0-9]+)")
        + "/?"
        for _method, url, _body, _statuses in MATRIX
    }
    # The token endpoints need no token (tests/test_api_auth.py).
    untested = routes - tested - {"api/auth/token/?", "api/auth/token/refresh/?", "api/auth/logout/?"}
    assert untested == set()
