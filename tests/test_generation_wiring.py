"""The generation end to end: assignee, lapses and notifications in its transaction (DESIGN §10–§12).

Real SMTP (aiosmtpd) and HTTP receivers on loopback, a frozen clock, both databases.
"""

import datetime
import json

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from alerts import actions
from alerts.choices import EventKind, NotificationKind, NotificationStatus, Priority
from alerts.generation import faults
from alerts.models import Alert, AlertEvent, GenerationRun, Notification, Subscription
from alerts.notifications.services import new_secret, send_notifications
from alerts.services import GenerationFailed, generate_alerts
from assets.choices import AssetStatus, Criticality
from assets.models import Asset
from maintenance.choices import MaintenanceStatus
from maintenance.models import Maintenance
from tests.factories import AssetFactory, MaintenanceFactory, UserFactory
from tests.notify_receivers import receiver, smtp_server  # noqa: F401 (fixtures)

NOW = datetime.datetime(2026, 6, 15, 12, 0, tzinfo=datetime.UTC)
TODAY = NOW.date()
DAY = datetime.timedelta(days=1)
HOUR = datetime.timedelta(hours=1)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def private_webhooks(settings):
    settings.NOTIFY_ALLOW_PRIVATE_WEBHOOKS = True


def events(kind: str) -> list[tuple]:
    return list(
        AlertEvent.objects.filter(kind=kind).order_by("alert_id").values_list("alert_id", "note", "actor")
    )


def subscribe(user=None, **fields) -> Subscription:
    user = user or UserFactory()
    fields.setdefault("channel", "EMAIL")
    fields.setdefault("target", user.email)
    if fields["channel"] == "WEBHOOK":
        fields.setdefault("secret", new_secret())
    return Subscription.objects.create(user=user, name=fields.pop("name", "mine"), **fields)


def overdue(**fields) -> Maintenance:
    """An overdue maintenance (HIGH on a MEDIUM asset), created behind the instant refresh's back."""
    return MaintenanceFactory(scheduled_date=TODAY - 2 * DAY, **fields)


# --- The assignee follows the work (DESIGN §11) ---------------------------------------------------


class TestAssignee:
    def test_maintenance_alerts_take_the_assigned_to_and_asset_alerts_the_owner(self):
        alice, bob = UserFactory(), UserFactory()
        work = overdue(assigned_to=alice)
        broken = AssetFactory(status=AssetStatus.OUT_OF_SERVICE, owner=bob)
        nobody = overdue()

        generate_alerts()

        assert Alert.objects.get(maintenance=work).assignee == alice
        assert Alert.objects.get(asset=broken).assignee == bob
        assert Alert.objects.get(maintenance=nobody).assignee is None

    def test_a_reassignment_alone_is_assigned_counted_as_updated(self):
        alice, bob = UserFactory(), UserFactory()
        work = overdue(assigned_to=alice)
        broken = AssetFactory(status=AssetStatus.OUT_OF_SERVICE, owner=alice)
        generate_alerts()
        Maintenance.objects.filter(pk=work.pk).update(assigned_to=bob)
        Asset.objects.filter(pk=broken.pk).update(owner=None)

        result = generate_alerts()

        assert (result.created, result.updated, result.resolved) == (0, 2, 0)
        work_alert, asset_alert = Alert.objects.get(maintenance=work), Alert.objects.get(asset=broken)
        assert (work_alert.assignee, asset_alert.assignee) == (bob, None)
        assert events(EventKind.ASSIGNED) == [(work_alert.pk, "", None), (asset_alert.pk, "", None)]
        assert not AlertEvent.objects.filter(kind=EventKind.UPDATED).exists()
        assert set(AlertEvent.objects.filter(kind=EventKind.ASSIGNED).values_list("run", flat=True)) == {
            result.run.pk
        }
        # Nothing changed since: no second event.
        assert generate_alerts().updated == 0
        assert AlertEvent.objects.filter(kind=EventKind.ASSIGNED).count() == 2

    def test_another_change_with_the_assignee_is_updated_or_escalated(self):
        alice = UserFactory()
        retitled, escalated = overdue(), overdue()
        generate_alerts()
        Maintenance.objects.filter(pk=retitled.pk).update(assigned_to=alice, title="Renamed")
        Maintenance.objects.filter(pk=escalated.pk).update(assigned_to=alice)
        Asset.objects.filter(pk=escalated.asset_id).update(criticality=Criticality.CRITICAL)

        generate_alerts()

        assert events(EventKind.UPDATED) == [(Alert.objects.get(maintenance=retitled).pk, "", None)]
        assert events(EventKind.ESCALATED) == [(Alert.objects.get(maintenance=escalated).pk, "", None)]
        assert not AlertEvent.objects.filter(kind=EventKind.ASSIGNED).exists()
        assert set(Alert.objects.values_list("assignee", flat=True)) == {alice.pk}

    def test_the_instant_refresh_reassigns_at_once(self, django_capture_on_commit_callbacks):
        alice, bob = UserFactory(), UserFactory()
        work = overdue(assigned_to=alice)
        asset = AssetFactory(status=AssetStatus.NEEDS_MAINTENANCE)
        generate_alerts()

        with django_capture_on_commit_callbacks(execute=True):
            work.assigned_to = bob
            work.save()
            asset.owner = bob
            asset.save()

        assert set(Alert.objects.values_list("assignee", flat=True)) == {bob.pk}
        assert AlertEvent.objects.filter(kind=EventKind.ASSIGNED, run=None).count() == 2

    def test_reassignments_take_a_constant_number_of_queries(self):
        def queries_of_reassigning(size: int) -> int:
            Maintenance.objects.update(assigned_to=UserFactory())
            with CaptureQueriesContext(connection) as captured:
                assert generate_alerts().updated == size
            return len(captured)

        MaintenanceFactory.create_batch(2, scheduled_date=TODAY - 2 * DAY)
        generate_alerts()
        small = queries_of_reassigning(2)
        MaintenanceFactory.create_batch(20, scheduled_date=TODAY - 3 * DAY)
        generate_alerts()

        assert queries_of_reassigning(22) == small
        assert AlertEvent.objects.filter(kind=EventKind.ASSIGNED).count() == 2 + 22


# --- Lapses inside the generation (DESIGN §11) ----------------------------------------------------


class TestLapses:
    def test_an_escalation_ends_the_acknowledgement_and_the_snooze_in_the_run(self, technician):
        work, calm = overdue(), overdue()
        generate_alerts()
        alert, calm_alert = Alert.objects.get(maintenance=work), Alert.objects.get(maintenance=calm)
        for pk in (alert.pk, calm_alert.pk):
            actions.acknowledge(alert_id=pk, user=technician)
            actions.snooze(alert_id=pk, user=technician, until=NOW + HOUR)
        Asset.objects.filter(pk=work.asset_id).update(criticality=Criticality.CRITICAL)

        run = generate_alerts().run

        alert.refresh_from_db()
        assert alert.priority == Priority.CRITICAL
        assert (alert.acknowledged_at, alert.snoozed_until) == (None, None)
        for kind in (EventKind.UNACKNOWLEDGED, EventKind.UNSNOOZED):
            assert set(
                AlertEvent.objects.filter(kind=kind).values_list("alert", "note", "run", "priority")
            ) == {(alert.pk, "escalated", run.pk, Priority.CRITICAL)}
        calm_alert.refresh_from_db()
        assert calm_alert.acknowledged_at is not None and calm_alert.snoozed_until is not None

    def test_an_escalation_in_an_instant_refresh_lapses_too(
        self, technician, django_capture_on_commit_callbacks
    ):
        work = overdue()
        generate_alerts()
        alert = Alert.objects.get(maintenance=work)
        actions.acknowledge(alert_id=alert.pk, user=technician)

        with django_capture_on_commit_callbacks(execute=True):
            asset = work.asset
            asset.criticality = Criticality.CRITICAL
            asset.save()

        assert events(EventKind.UNACKNOWLEDGED) == [(alert.pk, "escalated", None)]

    def test_escalation_lapses_take_a_constant_number_of_queries(self, technician):
        count = 20

        def queries_of_escalating() -> int:
            for pk in Alert.objects.filter(is_active=True).values_list("pk", flat=True):
                actions.acknowledge(alert_id=pk, user=technician)
            Asset.objects.update(criticality=Criticality.CRITICAL)
            with CaptureQueriesContext(connection) as captured:
                generate_alerts()
            Asset.objects.update(criticality=Criticality.MEDIUM)
            generate_alerts()
            return len(captured)

        overdue()
        generate_alerts()
        small = queries_of_escalating()
        for _ in range(count):
            overdue()
        generate_alerts()

        assert queries_of_escalating() == small
        assert AlertEvent.objects.filter(kind=EventKind.UNACKNOWLEDGED, note="escalated").count() == count + 2

    def test_the_periodic_lapses_run_in_every_full_run_and_roll_back_with_it(self, technician, clock):
        first, second = overdue(), overdue()
        generate_alerts()
        first_alert, second_alert = (
            Alert.objects.get(maintenance=first),
            Alert.objects.get(maintenance=second),
        )
        actions.acknowledge(alert_id=first_alert.pk, user=technician)
        actions.snooze(alert_id=second_alert.pk, user=technician, until=NOW + HOUR)
        clock.move_to(NOW + 25 * HOUR)

        generate_alerts(asset_ids=[first.asset_id, second.asset_id], record_run=False)
        generate_alerts(dry_run=True)
        with faults.fail_at(faults.RECORDED, RuntimeError("disk full")), pytest.raises(GenerationFailed):
            generate_alerts()
        assert not AlertEvent.objects.filter(
            kind__in=[EventKind.UNACKNOWLEDGED, EventKind.UNSNOOZED]
        ).exists()
        assert Alert.objects.get(pk=first_alert.pk).acknowledged_at is not None

        run = generate_alerts().run

        assert events(EventKind.UNACKNOWLEDGED) == [(first_alert.pk, "timeout", None)]
        assert events(EventKind.UNSNOOZED) == [(second_alert.pk, "expired", None)]
        assert set(
            AlertEvent.objects.filter(kind__in=[EventKind.UNACKNOWLEDGED, EventKind.UNSNOOZED]).values_list(
                "run", flat=True
            )
        ) == {run.pk}

    def test_the_api_generation_runs_the_lapses(self, technician, manager, clock):
        overdue()
        generate_alerts()
        alert = Alert.objects.get()
        actions.acknowledge(alert_id=alert.pk, user=technician)
        clock.move_to(NOW + 25 * HOUR)
        client = APIClient()
        client.force_authenticate(manager)

        assert client.post("/api/alerts/generate").status_code == 200

        assert events(EventKind.UNACKNOWLEDGED) == [(alert.pk, "timeout", None)]


# --- Notifications of the generation's events (DESIGN §12.1) --------------------------------------


class TestNotifications:
    def test_an_overdue_maintenance_emails_once(self, smtp_server, clock):  # noqa: F811
        subscribe(target="manager@example.com")
        work = MaintenanceFactory(scheduled_date=TODAY + 10 * DAY, title="Annual overhaul")
        generate_alerts()
        assert not Alert.objects.exists()

        clock.move_to(NOW + 12 * DAY)
        generate_alerts()
        send_notifications()
        generate_alerts()
        send_notifications()

        assert len(smtp_server.messages) == 1
        message = smtp_server.messages[0]
        assert message.rcpt_tos == ["manager@example.com"]
        assert f"Subject: [HIGH] Overdue: Annual overhaul ({work.asset.code})" in message.content.decode()
        assert list(Notification.objects.values_list("kind", "status")) == [
            (NotificationKind.FIRING, NotificationStatus.SENT)
        ]

    def test_a_resolving_generation_posts_a_resolved_webhook(self, receiver):  # noqa: F811
        subscribe(channel="WEBHOOK", target=f"{receiver.url}/ok", send_resolved=True)
        work = overdue()
        generate_alerts()
        send_notifications()
        Maintenance.objects.filter(pk=work.pk).update(status=MaintenanceStatus.DONE)

        assert generate_alerts().resolved == 1
        send_notifications()

        types = [json.loads(request["body"])["type"] for request in receiver.to("/ok")]
        assert types == ["alert.firing", "alert.resolved"]
        resolved = Notification.objects.get(kind=NotificationKind.RESOLVED)
        assert resolved.event.kind == EventKind.RESOLVED and resolved.status == NotificationStatus.SENT

    def test_the_query_count_of_a_generation_does_not_depend_on_subscriptions(self):
        def queries_of_a_run(alerts: int, subscriptions: int) -> int:
            Subscription.objects.all().delete()
            for index in range(subscriptions):
                subscribe(name=f"s{index}", quiet_from=datetime.time(22), quiet_until=datetime.time(6))
            for _ in range(alerts):
                overdue()
            with CaptureQueriesContext(connection) as captured:
                generate_alerts()
            return len(captured)

        small = queries_of_a_run(alerts=1, subscriptions=1)
        large = queries_of_a_run(alerts=10, subscriptions=10)

        assert small == large
        assert Notification.objects.filter(kind=NotificationKind.FIRING).count() == 10 * 10

    def test_lapse_events_notify_again(self, technician, clock):
        subscribe()
        overdue()
        generate_alerts()
        alert = Alert.objects.get()
        actions.acknowledge(alert_id=alert.pk, user=technician)
        clock.move_to(NOW + 25 * HOUR)

        generate_alerts()

        lapse = AlertEvent.objects.get(kind=EventKind.UNACKNOWLEDGED)
        assert Notification.objects.filter(event=lapse, kind=NotificationKind.FIRING).count() == 1

    def test_escalation_lapses_notify_once_per_subscription(self, technician):
        subscribe()
        work = overdue()
        generate_alerts()
        actions.acknowledge(alert_id=Alert.objects.get().pk, user=technician)
        Asset.objects.filter(pk=work.asset_id).update(criticality=Criticality.CRITICAL)

        generate_alerts()

        kinds = Notification.objects.order_by("id").values_list("event__kind", flat=True)
        assert list(kinds) == [EventKind.CREATED, EventKind.ESCALATED, EventKind.UNACKNOWLEDGED]

    def test_a_dry_run_enqueues_nothing(self):
        subscribe()
        overdue()

        generate_alerts(dry_run=True)

        assert not Notification.objects.exists()

    def test_acknowledging_cancels_the_pending_firing_notice(self, smtp_server, technician):  # noqa: F811
        subscribe()
        overdue()
        generate_alerts()
        actions.acknowledge(alert_id=Alert.objects.get().pk, user=technician)

        send_notifications()

        assert list(Notification.objects.values_list("status", flat=True)) == [NotificationStatus.CANCELLED]
        assert smtp_server.messages == []

    def test_a_person_unacknowledging_or_unsnoozing_notifies_again(self, smtp_server, technician):  # noqa: F811
        subscribe()
        overdue()
        generate_alerts()
        send_notifications()
        alert = Alert.objects.get()
        actions.acknowledge(alert_id=alert.pk, user=technician)
        actions.unacknowledge(alert_id=alert.pk, user=technician)
        actions.snooze(alert_id=alert.pk, user=technician, until=NOW + HOUR)
        actions.unsnooze(alert_id=alert.pk, user=technician)

        kinds = Notification.objects.order_by("id").values_list("event__kind", "event__actor")
        assert list(kinds) == [
            (EventKind.CREATED, None),
            (EventKind.UNACKNOWLEDGED, technician.pk),
            (EventKind.UNSNOOZED, technician.pk),
        ]
        send_notifications()
        assert len(smtp_server.messages) == 3

    def test_the_runs_notices_are_part_of_its_transaction(self):
        subscribe()
        overdue()

        with faults.fail_at(faults.RECORDED, RuntimeError("disk full")), pytest.raises(GenerationFailed):
            generate_alerts()

        assert not Notification.objects.exists()
        assert GenerationRun.objects.get().status == "FAILED"
