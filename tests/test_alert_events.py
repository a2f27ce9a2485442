"""Alert history (DESIGN §10): every change leaves an event, written set-based with the change."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from alerts.choices import EventKind, Priority, RunStatus, RunTrigger
from alerts.generation import faults
from alerts.models import Alert, AlertEvent, GenerationRun
from alerts.services import GenerationFailed, generate_alerts, refresh_asset_alerts
from assets.choices import AssetStatus, Criticality
from maintenance.choices import MaintenanceStatus
from tests.factories import AssetFactory, MaintenanceFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]
TODAY = datetime.date(2026, 6, 15)


def days(n: int) -> datetime.date:
    return TODAY + datetime.timedelta(days=n)


def kinds(alert: Alert) -> list[str]:
    return list(alert.events.order_by("at", "id").values_list("kind", flat=True))


def test_a_full_run_writes_one_created_event_per_new_alert_with_its_run():
    MaintenanceFactory.create_batch(3, scheduled_date=days(-2))

    result = generate_alerts(trigger=RunTrigger.CRON)

    events = AlertEvent.objects.all()
    assert events.count() == 3
    assert {(e.kind, e.run_id, e.actor_id, e.priority) for e in events} == {
        (EventKind.CREATED, result.run.pk, None, Priority.HIGH)
    }
    assert sorted(events.values_list("alert_id", flat=True)) == sorted(
        Alert.objects.values_list("pk", flat=True)
    )
    assert set(result.events.values_list("pk", flat=True)) == set(events.values_list("pk", flat=True))


def test_an_unchanged_run_writes_no_event():
    MaintenanceFactory.create_batch(2, scheduled_date=days(-2))
    generate_alerts()

    result = generate_alerts()

    assert result.unchanged == 2
    assert AlertEvent.objects.count() == 2
    assert not result.events.exists()


def test_escalation_deescalation_and_other_changes_are_told_apart(frozen_clock):
    escalating = MaintenanceFactory(scheduled_date=days(-6))  # HIGH, CRITICAL tomorrow (7 days)
    calming = MaintenanceFactory(
        scheduled_date=days(-2), asset=AssetFactory(criticality=Criticality.CRITICAL)
    )
    renamed = MaintenanceFactory(scheduled_date=days(-2))
    generate_alerts()
    frozen_clock.shift(datetime.timedelta(days=1))
    calming.asset.criticality = Criticality.LOW
    calming.asset.save()
    renamed.title = "Another title"
    renamed.save()

    result = generate_alerts()

    assert kinds(Alert.objects.get(maintenance=escalating)) == [EventKind.CREATED, EventKind.ESCALATED]
    assert kinds(Alert.objects.get(maintenance=calming)) == [EventKind.CREATED, EventKind.DEESCALATED]
    assert kinds(Alert.objects.get(maintenance=renamed)) == [EventKind.CREATED, EventKind.UPDATED]
    escalated = AlertEvent.objects.get(kind=EventKind.ESCALATED)
    assert (escalated.priority, escalated.run) == (Priority.CRITICAL, result.run)
    assert AlertEvent.objects.get(kind=EventKind.DEESCALATED).priority == Priority.HIGH
    assert result.updated == 3


def test_resolving_writes_a_resolved_event():
    maintenance = MaintenanceFactory(scheduled_date=days(-2))
    generate_alerts()
    MaintenanceFactory._meta.model.objects.filter(pk=maintenance.pk).update(status=MaintenanceStatus.DONE)

    result = generate_alerts()

    event = AlertEvent.objects.get(kind=EventKind.RESOLVED)
    assert (event.alert.maintenance_id, event.run, event.priority) == (
        maintenance.pk,
        result.run,
        Priority.HIGH,
    )


def test_the_instant_refresh_writes_events_without_a_run(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        maintenance = MaintenanceFactory(scheduled_date=days(1))
    with django_capture_on_commit_callbacks(execute=True):
        maintenance.status = MaintenanceStatus.CANCELLED
        maintenance.save()

    assert list(AlertEvent.objects.values_list("kind", "run", "actor")) == [
        (EventKind.CREATED, None, None),
        (EventKind.RESOLVED, None, None),
    ]


def test_a_refresh_hands_over_only_its_own_events():
    first, second = (AssetFactory(status=AssetStatus.OUT_OF_SERVICE) for _ in range(2))
    refresh_asset_alerts([first.pk])

    result = refresh_asset_alerts([second.pk])

    assert list(result.events.values_list("alert__asset", flat=True)) == [second.pk]


def test_events_roll_back_with_a_failed_generation():
    MaintenanceFactory(scheduled_date=days(-2))
    with faults.fail_at(faults.MERGED, RuntimeError("boom")), pytest.raises(GenerationFailed):
        generate_alerts()

    assert not AlertEvent.objects.exists()
    assert not Alert.objects.exists()
    assert GenerationRun.objects.get().status == RunStatus.FAILED


def test_a_dry_run_writes_no_event():
    MaintenanceFactory(scheduled_date=days(-2))

    result = generate_alerts(dry_run=True)

    assert result.created == 1
    assert not AlertEvent.objects.exists()


@pytest.mark.parametrize("stage", [faults.RULES, faults.MERGED, faults.RECORDED])
def test_every_fault_stage_leaves_nothing_behind(stage):
    MaintenanceFactory(scheduled_date=days(-2))
    with faults.fail_at(stage, RuntimeError("boom")), pytest.raises(GenerationFailed):
        generate_alerts()
    assert not Alert.objects.exists() and not AlertEvent.objects.exists()


def test_statement_count_is_the_same_at_10_and_300_assets(frozen_clock):
    def statements(**kwargs) -> int:
        with CaptureQueriesContext(connection) as captured:
            generate_alerts(**kwargs)
        return len(captured)

    def fleet(n: int) -> tuple[int, int]:
        Alert.objects.all().delete()
        for index in range(n):
            MaintenanceFactory(scheduled_date=days(index % 12 - 6))
        first = statements()
        MaintenanceFactory._meta.model.objects.filter(
            pk__in=[m.pk for m in MaintenanceFactory._meta.model.objects.all()[: n // 3]]
        ).update(scheduled_date=days(20))
        frozen_clock.shift(datetime.timedelta(days=1))
        changed = statements()
        frozen_clock.shift(datetime.timedelta(days=-1))
        return first, changed

    small = fleet(10)
    large = fleet(300)

    assert small == large


# Read state, by people.


@pytest.fixture
def alerts():
    MaintenanceFactory.create_batch(3, scheduled_date=days(-2))
    generate_alerts()
    return list(Alert.objects.order_by("pk"))


def test_api_read_and_unread_write_events_with_the_actor(technician_client, alerts):
    first = alerts[0]
    technician_client.post(f"/api/alerts/{first.pk}/read")
    technician_client.post(f"/api/alerts/{first.pk}/read")  # already read: no second event
    technician_client.post(f"/api/alerts/{first.pk}/unread")

    events = first.events.exclude(kind=EventKind.CREATED).order_by("id")
    assert [(e.kind, e.actor, e.run) for e in events] == [
        (EventKind.READ, technician_client.user, None),
        (EventKind.UNREAD, technician_client.user, None),
    ]


def test_read_all_writes_one_event_per_alert_it_marked(technician_client, alerts):
    technician_client.post(f"/api/alerts/{alerts[0].pk}/read")

    response = technician_client.post("/api/alerts/read-all")

    assert response.json() == {"marked": 2}
    reads = AlertEvent.objects.filter(kind=EventKind.READ)
    assert sorted(reads.values_list("alert_id", flat=True)) == [a.pk for a in alerts]
    assert set(reads.values_list("actor", flat=True)) == {technician_client.user.pk}


def test_admin_actions_write_read_and_unread_events(client, superuser, alerts):
    client.force_login(superuser)
    ids = [a.pk for a in alerts]
    for action in ("mark_selected_read", "mark_selected_unread"):
        response = client.post(
            "/admin/alerts/alert/", {"action": action, "_selected_action": ids, "index": 0}
        )
        assert response.status_code == 302

    for kind in (EventKind.READ, EventKind.UNREAD):
        events = AlertEvent.objects.filter(kind=kind)
        assert sorted(events.values_list("alert_id", flat=True)) == ids
        assert set(events.values_list("actor", flat=True)) == {superuser.pk}


def test_events_endpoint_lists_the_history_oldest_first(technician_client, alerts):
    alert = alerts[0]
    technician_client.post(f"/api/alerts/{alert.pk}/read")

    response = technician_client.get(f"/api/alerts/{alert.pk}/events")

    assert response.status_code == 200
    body = response.json()
    assert [e["kind"] for e in body] == ["CREATED", "READ"]
    assert list(body[1]) == ["id", "kind", "at", "actor", "actor_username", "run", "priority", "note"]
    assert (body[0]["actor"], body[0]["actor_username"], body[0]["note"]) == (None, None, "")
    assert body[0]["run"] == GenerationRun.objects.get().pk
    assert (body[1]["actor_username"], body[1]["priority"]) == ("technician", "HIGH")
    assert technician_client.get("/api/alerts/999999/events").status_code == 404


def test_admin_alert_page_shows_its_events(client, superuser, alerts):
    client.force_login(superuser)
    response = client.get(f"/admin/alerts/alert/{alerts[0].pk}/change/")
    assert response.status_code == 200
    assert "alert events" in response.content.decode().lower()
    assert "Created" in response.content.decode()
