"""The notifications API (DESIGN §12): subscriptions, test, rotate-secret, the delivery log, retry."""

import pytest
from standardwebhooks.webhooks import Webhook

from alerts.choices import NotificationStatus
from alerts.models import Notification, Subscription
from tests.notify_receivers import receiver  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def private_webhooks(settings):
    settings.NOTIFY_ALLOW_PRIVATE_WEBHOOKS = True


def test_email_subscription_defaults_to_the_owners_address(technician_client):
    response = technician_client.post("/api/subscriptions", {"name": "me", "channel": "EMAIL"})
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["target"] == "technician@example.com"
    assert body["min_priority"] == "HIGH" and body["send_resolved"] is False and body["repeat_hours"] == 24
    assert body["digest_at"] == "07:00:00"
    assert "secret" in body and body["secret"] == ""


def test_webhook_secret_is_shown_on_create_and_rotate_only(technician_client, receiver):  # noqa: F811
    response = technician_client.post(
        "/api/subscriptions", {"name": "hook", "channel": "WEBHOOK", "target": f"{receiver.url}/ok"}
    )
    assert response.status_code == 201, response.json()
    created = response.json()
    assert created["secret"].startswith("whsec_") and created["send_resolved"] is True
    detail = technician_client.get(f"/api/subscriptions/{created['id']}").json()
    assert "secret" not in detail
    assert all("secret" not in row for row in technician_client.get("/api/subscriptions").json())
    rotated = technician_client.post(f"/api/subscriptions/{created['id']}/rotate-secret").json()
    assert rotated["secret"].startswith("whsec_") and rotated["secret"] != created["secret"]

    sent = technician_client.post(f"/api/subscriptions/{created['id']}/test")
    assert sent.status_code == 200
    assert sent.json()["status"] == NotificationStatus.SENT and sent.json()["kind"] == "TEST"
    (request,) = receiver.requests
    assert Webhook(rotated["secret"]).verify(request["body"], request["headers"])["type"] == "test"


def test_users_see_their_own_subscriptions_managers_everyones(technician_client, manager_client):
    mine = technician_client.post("/api/subscriptions", {"name": "t", "channel": "EMAIL"}).json()
    theirs = manager_client.post("/api/subscriptions", {"name": "m", "channel": "EMAIL"}).json()
    assert [s["id"] for s in technician_client.get("/api/subscriptions").json()] == [mine["id"]]
    assert {s["id"] for s in manager_client.get("/api/subscriptions").json()} == {mine["id"], theirs["id"]}
    assert technician_client.get(f"/api/subscriptions/{theirs['id']}").status_code == 404
    assert (
        manager_client.patch(f"/api/subscriptions/{mine['id']}", {"min_priority": "LOW"}).status_code == 200
    )
    assert technician_client.delete(f"/api/subscriptions/{mine['id']}").status_code == 204


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"channel": "EMAIL", "target": "not-an-address"}, "target"),
        ({"channel": "WEBHOOK", "target": "ftp://example.com/x"}, "target"),
        ({"channel": "WEBHOOK", "target": "http://10.0.0.5/hook"}, "target"),
        ({"channel": "WEBHOOK"}, "target"),
        ({"channel": "EMAIL", "kinds": ["NOPE"]}, "kinds"),
        ({"channel": "EMAIL", "min_priority": "URGENT"}, "min_priority"),
        ({"channel": "EMAIL", "digest_at": "25:00"}, "digest_at"),
        ({"channel": "EMAIL", "quiet_from": "22:00"}, "quiet_until"),
        ({"channel": "EMAIL", "quiet_until": "07:00"}, "quiet_from"),
        ({"channel": "SMS"}, "channel"),
        ({"channel": "EMAIL", "repeat_hours": -1}, "repeat_hours"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_saves_nothing(technician_client, settings, payload, field):
    settings.NOTIFY_ALLOW_PRIVATE_WEBHOOKS = False
    response = technician_client.post("/api/subscriptions", {"name": "x", **payload})
    assert response.status_code == 400
    assert field in response.json()
    assert not Subscription.objects.exists()


def test_delivery_log_filters_and_retry(technician_client, manager_client, receiver):  # noqa: F811
    hook = technician_client.post(
        "/api/subscriptions", {"name": "hook", "channel": "WEBHOOK", "target": f"{receiver.url}/fail"}
    ).json()
    failed = technician_client.post(f"/api/subscriptions/{hook['id']}/test").json()
    assert failed["status"] == NotificationStatus.FAILED and failed["response_status"] == 500
    log = technician_client.get("/api/notifications", {"status": "FAILED", "subscription": hook["id"]})
    assert [n["id"] for n in log.json()] == [failed["id"]]
    assert technician_client.get("/api/notifications", {"status": "SENT"}).json() == []
    assert technician_client.get("/api/notifications", {"bogus": "1"}).status_code == 400
    assert len(manager_client.get("/api/notifications").json()) == 1

    retried = technician_client.post(f"/api/notifications/{failed['id']}/retry")
    assert retried.status_code == 200
    assert retried.json()["status"] == NotificationStatus.PENDING and retried.json()["attempts"] == 0
    again = technician_client.post(f"/api/notifications/{failed['id']}/retry")
    assert again.status_code == 409
    Notification.objects.filter(pk=failed["id"]).update(status=NotificationStatus.DEAD)
    assert technician_client.post(f"/api/notifications/{failed['id']}/retry").status_code == 200


def test_outbox_in_scheduler_status_and_healthz(technician_client, client):
    assert technician_client.get("/api/alerts/scheduler").json()["outbox"]["pending"] == 0
    health = client.get("/healthz").json()
    assert health["outbox"] == {"pending": 0, "oldest_pending_seconds": 0, "dead_last_24h": 0}
