"""Every operation of the served schema, sent the requests the shared machinery refuses.

The fuzzing (test_api_fuzz) explores bodies and parameters; these probes are
the requests it does not make: an Accept the API cannot satisfy, too many
parameters, a Host not allowed, a body that is not JSON. Each answer must be
a status the operation documents. (A database that is down is probed in
test_faults_database_down, against a real server.)
"""

import pytest

from alerts.services import generate_alerts
from tests.factories import AssetFactory, MaintenanceFactory, MaintenancePlanFactory, MeterFactory

pytestmark = pytest.mark.django_db

TOO_MANY = "&".join(f"p{number}=1" for number in range(1001))


@pytest.fixture
def schema(api_client):
    return api_client.get("/api/schema/?format=json").json()


@pytest.fixture
def ids(manager_client):
    maintenance = MaintenanceFactory(asset=AssetFactory())
    plan = MaintenancePlanFactory(asset=maintenance.asset)
    meter = MeterFactory(asset=maintenance.asset)
    generate_alerts()
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from alerts.models import Notification, Subscription

    manager = get_user_model().objects.get(username="manager")
    subscription = Subscription.objects.create(
        user=manager, name="audit", channel="EMAIL", target="m@example.com"
    )
    notification = Notification.objects.create(
        subscription=subscription,
        kind="TEST",
        dedup_key="audit",
        status="FAILED",
        next_attempt_at=timezone.now(),
        created_at=timezone.now(),
    )
    from alerts.models import Alert, GenerationRun

    return {
        "/api/alerts/runs/": GenerationRun.objects.get().pk,
        "/api/alerts/": Alert.objects.first().pk,
        "/api/assets/": maintenance.asset_id,
        "/api/maintenances/": maintenance.pk,
        "/api/plans/": plan.pk,
        "/api/subscriptions/": subscription.pk,
        "/api/notifications/": notification.pk,
        "/api/meters/": meter.pk,
    }


def operations(schema, ids) -> list:
    """(method, url, operation) of every operation, on real objects; deletes last, so all find them."""
    found = []
    for path, methods in schema["paths"].items():
        url = path
        if "{id}" in path:
            prefix = next(prefix for prefix in ids if path.startswith(prefix))
            url = path.replace("{id}", str(ids[prefix]))
        found += [(method, url, operation) for method, operation in methods.items()]
    return sorted(found, key=lambda item: item[0] == "delete")


PROBES = {
    "xml-accept": lambda client, method, url, body: client.generic(
        method, url, body, content_type="application/json", HTTP_ACCEPT="application/xml"
    ),
    "too-many-parameters": lambda client, method, url, body: client.generic(
        method, f"{url}?{TOO_MANY}", body, content_type="application/json"
    ),
    "host-not-allowed": lambda client, method, url, body: client.generic(
        method, url, body, content_type="application/json", HTTP_HOST="evil.example"
    ),
    "text-body": lambda client, method, url, body: client.generic(
        method, url, "code=1", content_type="text/plain"
    ),
}


@pytest.mark.parametrize("probe", sorted(PROBES))
def test_every_answer_to_a_refused_request_is_documented(manager_client, schema, ids, probe):
    undocumented = {}
    for method, url, operation in operations(schema, ids):
        body = "{}" if method in ("post", "put", "patch") else ""
        response = PROBES[probe](manager_client, method.upper(), url, body)
        assert response.status_code < 500, (method, url, response.content)
        if str(response.status_code) not in operation["responses"]:
            undocumented[f"{method.upper()} {url}"] = response.status_code
        if response.status_code != 204:
            assert response["Content-Type"].startswith("application/json"), (method, url)

    assert undocumented == {}
