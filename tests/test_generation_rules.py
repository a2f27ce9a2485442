"""The rules of DESIGN §3 at their boundaries, with a frozen clock."""

import datetime

import pytest
import time_machine

from alerts.choices import AlertKind, Priority
from alerts.models import Alert
from alerts.services import generate_alerts
from assets.choices import AssetStatus, Criticality
from maintenance.choices import MaintenanceStatus
from tests.factories import AssetFactory, MaintenanceFactory

TODAY = datetime.date(2026, 6, 15)
NOON_UTC = datetime.datetime(2026, 6, 15, 12, 0, tzinfo=datetime.UTC)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]


def active_alerts():
    return {(a.kind, a.priority) for a in Alert.objects.filter(is_active=True)}


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        (-8, (AlertKind.MAINTENANCE_OVERDUE, Priority.CRITICAL)),
        (-7, (AlertKind.MAINTENANCE_OVERDUE, Priority.CRITICAL)),
        (-6, (AlertKind.MAINTENANCE_OVERDUE, Priority.HIGH)),
        (-1, (AlertKind.MAINTENANCE_OVERDUE, Priority.HIGH)),
        (0, (AlertKind.MAINTENANCE_DUE_SOON, Priority.HIGH)),
        (1, (AlertKind.MAINTENANCE_DUE_SOON, Priority.HIGH)),
        (2, (AlertKind.MAINTENANCE_DUE_SOON, Priority.MEDIUM)),
        (7, (AlertKind.MAINTENANCE_DUE_SOON, Priority.MEDIUM)),
        (8, None),
    ],
)
def test_planned_maintenance_by_days_until_due(days, expected):
    MaintenanceFactory(scheduled_date=TODAY + datetime.timedelta(days=days))

    generate_alerts()

    assert active_alerts() == ({expected} if expected else set())


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        (-7, (AlertKind.MAINTENANCE_OVERDUE, Priority.CRITICAL)),
        (-1, (AlertKind.MAINTENANCE_OVERDUE, Priority.HIGH)),
        # Work already started is not "due soon": only planned work is.
        (0, None),
        (3, None),
    ],
)
def test_in_progress_maintenance(days, expected):
    MaintenanceFactory(
        status=MaintenanceStatus.IN_PROGRESS, scheduled_date=TODAY + datetime.timedelta(days=days)
    )

    generate_alerts()

    assert active_alerts() == ({expected} if expected else set())


@pytest.mark.parametrize("status", [MaintenanceStatus.CANCELLED, MaintenanceStatus.DONE])
@pytest.mark.parametrize("days", [-10, -1, 0, 3])
def test_closed_maintenance_raises_nothing(status, days):
    MaintenanceFactory(status=status, scheduled_date=TODAY + datetime.timedelta(days=days))

    generate_alerts()

    assert active_alerts() == set()


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        (-1, (AlertKind.MAINTENANCE_OVERDUE, Priority.CRITICAL)),
        (5, (AlertKind.MAINTENANCE_DUE_SOON, Priority.HIGH)),
    ],
)
def test_critical_asset_raises_priority(days, expected):
    asset = AssetFactory(criticality=Criticality.CRITICAL)
    MaintenanceFactory(asset=asset, scheduled_date=TODAY + datetime.timedelta(days=days))

    generate_alerts()

    assert active_alerts() == {expected}


def test_thresholds_come_from_settings(settings):
    settings.ALERTS = {**settings.ALERTS, "DUE_SOON_DAYS": 10, "OVERDUE_CRITICAL_DAYS": 3}
    MaintenanceFactory(scheduled_date=TODAY + datetime.timedelta(days=9))
    MaintenanceFactory(scheduled_date=TODAY - datetime.timedelta(days=3))

    generate_alerts()

    assert active_alerts() == {
        (AlertKind.MAINTENANCE_DUE_SOON, Priority.MEDIUM),
        (AlertKind.MAINTENANCE_OVERDUE, Priority.CRITICAL),
    }


def test_alert_describes_the_maintenance():
    asset = AssetFactory(code="PUMP-001", name="Main pump")
    maintenance = MaintenanceFactory(
        asset=asset, title="Oil change", scheduled_date=datetime.date(2026, 6, 10)
    )

    generate_alerts()

    alert = Alert.objects.get()
    assert alert.maintenance == maintenance
    assert alert.asset == asset
    assert alert.due_date == datetime.date(2026, 6, 10)
    assert alert.title == "Overdue: Oil change"
    assert alert.message == 'PUMP-001 Main pump: "Oil change" was scheduled for 2026-06-10 and is not done.'
    assert not alert.is_read


class TestAssetRule:
    def done(self, asset, local_day: datetime.date):
        MaintenanceFactory(
            asset=asset,
            status=MaintenanceStatus.DONE,
            scheduled_date=local_day,
            completed_at=datetime.datetime.combine(local_day, datetime.time(10), tzinfo=datetime.UTC),
        )

    def test_interval_exactly_reached_raises_nothing(self):
        asset = AssetFactory(maintenance_interval_days=30)
        self.done(asset, TODAY - datetime.timedelta(days=30))

        generate_alerts()

        assert active_alerts() == set()

    def test_interval_exceeded_raises_asset_alert_with_its_criticality(self):
        asset = AssetFactory(maintenance_interval_days=30, criticality=Criticality.HIGH)
        self.done(asset, TODAY - datetime.timedelta(days=31))

        generate_alerts()

        assert active_alerts() == {(AlertKind.ASSET_NEEDS_MAINTENANCE, Priority.HIGH)}
        alert = Alert.objects.get()
        assert alert.maintenance is None and alert.due_date is None

    def test_last_done_maintenance_counts_not_older_ones(self):
        asset = AssetFactory(maintenance_interval_days=30)
        self.done(asset, TODAY - datetime.timedelta(days=90))
        self.done(asset, TODAY - datetime.timedelta(days=5))

        generate_alerts()

        assert active_alerts() == set()

    @pytest.mark.parametrize("status", [MaintenanceStatus.PLANNED, MaintenanceStatus.IN_PROGRESS])
    def test_open_work_silences_the_interval(self, status):
        asset = AssetFactory(maintenance_interval_days=30)
        self.done(asset, TODAY - datetime.timedelta(days=60))
        MaintenanceFactory(asset=asset, status=status, scheduled_date=TODAY + datetime.timedelta(days=30))

        generate_alerts()

        assert active_alerts() == set()

    def test_falls_back_to_commissioning_date(self):
        AssetFactory(maintenance_interval_days=10, commissioned_on=TODAY - datetime.timedelta(days=11))
        AssetFactory(maintenance_interval_days=10, commissioned_on=TODAY - datetime.timedelta(days=10))

        generate_alerts()

        assert Alert.objects.filter(is_active=True).count() == 1

    def test_falls_back_to_creation_date(self):
        with time_machine.travel(NOON_UTC - datetime.timedelta(days=11), tick=False):
            AssetFactory(maintenance_interval_days=10, commissioned_on=None)
        AssetFactory(maintenance_interval_days=10, commissioned_on=None)

        generate_alerts()

        assert Alert.objects.filter(is_active=True).count() == 1

    @pytest.mark.parametrize(
        ("status", "criticality", "priority"),
        [
            (AssetStatus.NEEDS_MAINTENANCE, Criticality.LOW, Priority.LOW),
            (AssetStatus.NEEDS_MAINTENANCE, Criticality.CRITICAL, Priority.CRITICAL),
            (AssetStatus.OUT_OF_SERVICE, Criticality.LOW, Priority.HIGH),
            (AssetStatus.OUT_OF_SERVICE, Criticality.MEDIUM, Priority.HIGH),
            (AssetStatus.OUT_OF_SERVICE, Criticality.CRITICAL, Priority.CRITICAL),
        ],
    )
    def test_degraded_status(self, status, criticality, priority):
        AssetFactory(status=status, criticality=criticality)

        generate_alerts()

        assert active_alerts() == {(AlertKind.ASSET_NEEDS_MAINTENANCE, priority)}

    def test_retired_asset_raises_nothing_and_its_alerts_resolve(self):
        asset = AssetFactory(status=AssetStatus.OUT_OF_SERVICE, maintenance_interval_days=1)
        MaintenanceFactory(asset=asset, scheduled_date=TODAY - datetime.timedelta(days=3))
        generate_alerts()
        assert Alert.objects.filter(is_active=True).count() == 2

        asset.status = AssetStatus.RETIRED
        asset.save()
        result = generate_alerts()

        assert result.resolved == 2
        assert active_alerts() == set()


class TestTimeZone:
    """'Today' is the site's local date, not UTC's."""

    @pytest.fixture(autouse=True)
    def tokyo(self, settings):
        settings.TIME_ZONE = "Asia/Tokyo"  # UTC+9: local midnight is 15:00 UTC

    def test_just_before_local_midnight(self):
        MaintenanceFactory(scheduled_date=datetime.date(2026, 6, 15))
        with time_machine.travel(datetime.datetime(2026, 6, 15, 14, 59, tzinfo=datetime.UTC), tick=False):
            generate_alerts()

        assert active_alerts() == {(AlertKind.MAINTENANCE_DUE_SOON, Priority.HIGH)}

    def test_just_after_local_midnight(self):
        MaintenanceFactory(scheduled_date=datetime.date(2026, 6, 15))
        with time_machine.travel(datetime.datetime(2026, 6, 15, 15, 1, tzinfo=datetime.UTC), tick=False):
            generate_alerts()

        assert active_alerts() == {(AlertKind.MAINTENANCE_OVERDUE, Priority.HIGH)}

    def test_completion_counts_on_its_local_date(self):
        asset = AssetFactory(maintenance_interval_days=10)
        # 2026-06-04 20:00 UTC is already 2026-06-05 in Tokyo: 10 days before
        # the local today of 2026-06-15, so the interval is reached, not exceeded.
        MaintenanceFactory(
            asset=asset,
            status=MaintenanceStatus.DONE,
            scheduled_date=datetime.date(2026, 6, 4),
            completed_at=datetime.datetime(2026, 6, 4, 20, 0, tzinfo=datetime.UTC),
        )
        with time_machine.travel(datetime.datetime(2026, 6, 15, 1, 0, tzinfo=datetime.UTC), tick=False):
            generate_alerts()
        assert active_alerts() == set()

        with time_machine.travel(datetime.datetime(2026, 6, 15, 15, 30, tzinfo=datetime.UTC), tick=False):
            generate_alerts()
        assert active_alerts() == {(AlertKind.ASSET_NEEDS_MAINTENANCE, Priority.MEDIUM)}
