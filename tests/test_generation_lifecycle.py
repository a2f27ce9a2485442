"""The lifecycle of DESIGN §4: create, update, escalate, resolve, keep history, roll back."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from alerts.choices import AlertKind, Priority, RunStatus, RunTrigger
from alerts.generation import faults
from alerts.models import Alert, GenerationRun
from alerts.services import GenerationFailed, generate_alerts, mark_read
from assets.choices import AssetStatus
from maintenance.choices import MaintenanceStatus
from tests.factories import AssetFactory, MaintenanceFactory, UserFactory

NOON_UTC = datetime.datetime(2026, 6, 15, 12, 0, tzinfo=datetime.UTC)
TODAY = NOON_UTC.date()

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]


def days(n: int) -> datetime.date:
    return TODAY + datetime.timedelta(days=n)


def test_second_run_changes_nothing():
    MaintenanceFactory(scheduled_date=days(-3))
    MaintenanceFactory(scheduled_date=days(2))
    AssetFactory(status=AssetStatus.OUT_OF_SERVICE)

    first = generate_alerts()
    second = generate_alerts()

    assert (first.created, first.updated, first.resolved) == (3, 0, 0)
    assert (second.created, second.updated, second.resolved, second.unchanged) == (0, 0, 0, 3)
    assert Alert.objects.count() == 3


def test_run_is_recorded_with_its_counts():
    MaintenanceFactory(scheduled_date=days(-3))

    result = generate_alerts(trigger=RunTrigger.CRON)

    run = GenerationRun.objects.get()
    assert result.run == run
    assert (run.trigger, run.status, run.created, run.unchanged) == ("CRON", "SUCCESS", 1, 0)
    assert run.finished_at >= run.started_at
    assert run.duration_ms is not None


def test_priority_increase_marks_the_alert_unread_again(frozen_clock):
    maintenance = MaintenanceFactory(scheduled_date=days(-6))
    generate_alerts()
    alert = Alert.objects.get()
    mark_read(alerts=Alert.objects.all(), user=UserFactory())
    assert alert.priority == Priority.HIGH

    frozen_clock.shift(datetime.timedelta(days=1))  # now 7 days overdue: CRITICAL
    result = generate_alerts()

    alert.refresh_from_db()
    assert result.updated == 1
    assert alert.priority == Priority.CRITICAL
    assert alert.maintenance == maintenance
    assert not alert.is_read and alert.read_at is None and alert.read_by is None


def test_priority_decrease_keeps_it_read():
    maintenance = MaintenanceFactory(scheduled_date=days(-10))
    generate_alerts()
    mark_read(alerts=Alert.objects.all(), user=UserFactory())

    maintenance.scheduled_date = days(-2)  # back to HIGH, same fingerprint
    maintenance.save()
    result = generate_alerts()

    alert = Alert.objects.get()
    assert result.updated == 1
    assert alert.priority == Priority.HIGH
    assert alert.due_date == days(-2)
    assert alert.is_read


def test_title_change_updates_without_touching_read_state():
    maintenance = MaintenanceFactory(scheduled_date=days(3), title="Old title")
    generate_alerts()
    mark_read(alerts=Alert.objects.all(), user=UserFactory())

    maintenance.title = "New title"
    maintenance.save()
    result = generate_alerts()

    alert = Alert.objects.get()
    assert (result.updated, result.created) == (1, 0)
    assert alert.title == "Due soon: New title"
    assert alert.is_read


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"status": MaintenanceStatus.DONE}, id="done"),
        pytest.param({"status": MaintenanceStatus.CANCELLED}, id="cancelled"),
        pytest.param({"scheduled_date": TODAY + datetime.timedelta(days=30)}, id="rescheduled"),
    ],
)
def test_alert_resolves_when_the_work_no_longer_needs_it(change):
    maintenance = MaintenanceFactory(scheduled_date=days(-2))
    generate_alerts()

    for field, value in change.items():
        setattr(maintenance, field, value)
    maintenance.save()
    result = generate_alerts()

    alert = Alert.objects.get()  # kept as history
    assert result.resolved == 1
    assert not alert.is_active
    assert alert.resolved_at == NOON_UTC


def test_asset_alert_resolves_when_the_asset_is_fixed():
    asset = AssetFactory(status=AssetStatus.NEEDS_MAINTENANCE)
    generate_alerts()

    asset.status = AssetStatus.OPERATIONAL
    asset.save()
    result = generate_alerts()

    assert result.resolved == 1
    assert not Alert.objects.filter(is_active=True).exists()


def test_history_is_kept_and_a_new_alert_opens_when_the_condition_returns():
    asset = AssetFactory(status=AssetStatus.NEEDS_MAINTENANCE)
    generate_alerts()
    asset.status = AssetStatus.OPERATIONAL
    asset.save()
    generate_alerts()
    asset.status = AssetStatus.NEEDS_MAINTENANCE
    asset.save()

    result = generate_alerts()

    assert result.created == 1
    assert Alert.objects.filter(is_active=False).count() == 1
    assert Alert.objects.filter(is_active=True).count() == 1


def test_failure_rolls_back_every_change_and_records_the_error():
    MaintenanceFactory(scheduled_date=days(-2))
    generate_alerts()
    MaintenanceFactory(scheduled_date=days(-2))  # would be created
    before = list(Alert.objects.values_list("id", "is_active", "priority", "title"))

    with (
        faults.fail_at(faults.RECORDED, RuntimeError("disk full")),
        pytest.raises(GenerationFailed, match="disk full"),
    ):
        generate_alerts()

    assert list(Alert.objects.values_list("id", "is_active", "priority", "title")) == before
    run = GenerationRun.objects.latest("id")
    assert run.status == RunStatus.FAILED
    assert "disk full" in run.error


def test_dry_run_counts_but_writes_nothing():
    MaintenanceFactory(scheduled_date=days(-2))
    MaintenanceFactory(scheduled_date=days(1))

    result = generate_alerts(dry_run=True)

    assert result.dry_run
    assert result.created == 2
    assert not Alert.objects.exists()
    assert not GenerationRun.objects.exists()


def test_scoped_run_touches_only_its_assets():
    mine, other = MaintenanceFactory(scheduled_date=days(-2)), MaintenanceFactory(scheduled_date=days(-2))

    result = generate_alerts(asset_ids=[mine.asset_id])

    assert result.created == 1
    assert list(Alert.objects.values_list("maintenance", flat=True)) == [mine.pk]
    generate_alerts()
    other.status = MaintenanceStatus.DONE
    other.save()
    assert generate_alerts(asset_ids=[mine.asset_id]).resolved == 0
    assert Alert.objects.get(maintenance=other).is_active


def test_query_count_does_not_depend_on_fleet_size():
    def queries_of_a_full_run() -> int:
        with CaptureQueriesContext(connection) as captured:
            generate_alerts()
        return len(captured)

    MaintenanceFactory.create_batch(3, scheduled_date=days(-2))
    small = queries_of_a_full_run()
    for offset in range(-12, 12):
        MaintenanceFactory.create_batch(4, scheduled_date=days(offset))
    AssetFactory.create_batch(10, status=AssetStatus.OUT_OF_SERVICE)
    large = queries_of_a_full_run()

    assert small == large
    # On PostgreSQL: 19 for the run, the locks, the merge and its events (written from
    # the rows they record, no id back in Python), 3 for the periodic lapses (the
    # write lock, acknowledgements, snoozes), 2 to enqueue the notices of its events
    # (quiet hours, one INSERT); 2 for the savepoint inside the test's transaction.
    assert large <= 26


class TestInstantRefresh:
    """A save or delete refreshes that asset's alerts when the transaction commits."""

    def test_new_maintenance_due_tomorrow_alerts_at_once(self, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            maintenance = MaintenanceFactory(scheduled_date=days(1))

        alert = Alert.objects.get(is_active=True)
        assert alert.maintenance == maintenance
        assert alert.kind == AlertKind.MAINTENANCE_DUE_SOON
        assert not GenerationRun.objects.exists()  # a refresh is not a full run

    def test_nothing_happens_before_commit(self, django_capture_on_commit_callbacks):
        asset = AssetFactory()
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            MaintenanceFactory(asset=asset, scheduled_date=days(1))
        assert len(callbacks) == 1
        assert not Alert.objects.exists()

    def test_completing_resolves_at_once(self, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            maintenance = MaintenanceFactory(scheduled_date=days(-1))
        with django_capture_on_commit_callbacks(execute=True):
            maintenance.status = MaintenanceStatus.DONE
            maintenance.save()

        assert not Alert.objects.get().is_active

    def test_moving_a_maintenance_refreshes_both_assets(self, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            maintenance = MaintenanceFactory(scheduled_date=days(-1))
        old_asset, new_asset = maintenance.asset, AssetFactory()
        with django_capture_on_commit_callbacks(execute=True):
            maintenance = type(maintenance).objects.get(pk=maintenance.pk)
            maintenance.asset = new_asset
            maintenance.save()

        assert list(Alert.objects.filter(is_active=True).values_list("asset", flat=True)) == [new_asset.pk]
        assert not Alert.objects.get(asset=old_asset).is_active

    def test_deleting_the_last_open_work_raises_the_interval_alert(self, django_capture_on_commit_callbacks):
        asset = AssetFactory(maintenance_interval_days=10, commissioned_on=days(-100))
        with django_capture_on_commit_callbacks(execute=True):
            maintenance = MaintenanceFactory(asset=asset, scheduled_date=days(20))
        assert not Alert.objects.exists()

        with django_capture_on_commit_callbacks(execute=True):
            maintenance.delete()

        assert Alert.objects.get(is_active=True).kind == AlertKind.ASSET_NEEDS_MAINTENANCE

    def test_admin_add_shows_the_alert_before_any_command(
        self, client, superuser, django_capture_on_commit_callbacks
    ):
        asset = AssetFactory()
        client.force_login(superuser)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                "/admin/maintenance/maintenance/add/",
                {
                    "asset": asset.pk,
                    "title": "Belt check",
                    "description": "",
                    "kind": "INSPECTION",
                    "status": "PLANNED",
                    "scheduled_date": days(1).isoformat(),
                },
            )
        assert response.status_code == 302, response.content[:2000]

        alert = Alert.objects.get(is_active=True)
        assert alert.title == "Due soon: Belt check"
        assert alert.priority == Priority.HIGH

    def test_a_failing_refresh_does_not_break_the_save(self, django_capture_on_commit_callbacks):
        with (
            faults.fail_at(faults.RULES, RuntimeError("boom")),
            django_capture_on_commit_callbacks(execute=True),
        ):
            maintenance = MaintenanceFactory(scheduled_date=days(1))

        assert type(maintenance).objects.filter(pk=maintenance.pk).exists()
        assert not Alert.objects.exists()
