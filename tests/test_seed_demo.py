"""seed_demo: a demo fleet on which every alert rule fires, created once."""

import datetime
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db.models import Count, Max, Q

from alertsite.roles import MANAGERS, TECHNICIANS
from assets.choices import AssetStatus
from assets.models import Asset
from maintenance.choices import MaintenanceStatus, PlanAnchor
from maintenance.models import Maintenance, MaintenancePlan

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]


@pytest.fixture
def frozen_now():
    return datetime.datetime(2026, 3, 10, 10, 0, tzinfo=datetime.UTC)


TODAY = datetime.date(2026, 3, 10)


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def snapshot() -> dict:
    return {
        "assets": list(Asset.objects.order_by("code").values_list("code", "status", "criticality")),
        "maintenances": list(
            Maintenance.objects.order_by(
                "asset__code", "scheduled_date", "title", "status", "completed_at"
            ).values_list("asset__code", "title", "status", "scheduled_date", "completed_at")
        ),
    }


def test_running_twice_creates_nothing_twice():
    first_output = seed()
    counts = (Asset.objects.count(), Maintenance.objects.count(), get_user_model().objects.count())

    second_output = seed()

    assert counts[0] >= 40 and counts[1] >= 250 and counts[2] == 2
    assert (Asset.objects.count(), Maintenance.objects.count(), get_user_model().objects.count()) == counts
    assert f"created {counts[0]} assets, {counts[1]} maintenances, 6 plans, 2 users" in first_output
    assert "created 0 assets, 0 maintenances, 0 plans, 0 users" in second_output
    assert MaintenancePlan.objects.count() == 6


def test_the_same_seed_gives_the_same_data():
    seed("--seed", "7")
    first = snapshot()
    Asset.objects.all().delete()

    seed("--seed", "7")

    assert snapshot() == first


def test_creates_the_demo_users_in_their_groups(monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "s3cret-for-the-demo")

    output = seed()

    User = get_user_model()
    manager = User.objects.get(username="manager")
    technician = User.objects.get(username="technician")
    assert manager.is_staff and not manager.is_superuser
    assert list(manager.groups.values_list("name", flat=True)) == [MANAGERS]
    assert list(technician.groups.values_list("name", flat=True)) == [TECHNICIANS]
    assert manager.check_password("s3cret-for-the-demo")
    assert technician.check_password("s3cret-for-the-demo")
    assert "demo only" in output
    assert "s3cret-for-the-demo" in output


def test_existing_demo_users_keep_their_password(monkeypatch):
    seed()
    manager = get_user_model().objects.get(username="manager")
    manager.set_password("changed-by-the-owner")
    manager.save()

    monkeypatch.setenv("DEMO_PASSWORD", "another-one")
    seed()

    manager.refresh_from_db()
    assert manager.check_password("changed-by-the-owner")


def test_data_gives_every_alert_rule_something_to_fire_on():
    seed()

    week = TODAY + datetime.timedelta(days=7)
    assert Maintenance.objects.filter(status=MaintenanceStatus.PLANNED, scheduled_date__lt=TODAY).exists()
    assert Maintenance.objects.filter(
        status=MaintenanceStatus.PLANNED, scheduled_date__lte=TODAY - datetime.timedelta(days=7)
    ).exists()
    assert Maintenance.objects.filter(status=MaintenanceStatus.IN_PROGRESS, scheduled_date__lt=TODAY).exists()
    assert Maintenance.objects.filter(
        status=MaintenanceStatus.PLANNED, scheduled_date__range=(TODAY, week)
    ).exists()
    assert Asset.objects.filter(status=AssetStatus.NEEDS_MAINTENANCE).exists()
    assert Asset.objects.filter(status=AssetStatus.OUT_OF_SERVICE).exists()
    assert Asset.objects.filter(status=AssetStatus.RETIRED).exists()

    # Assets overdue for preventive work: an interval, no open work, and the
    # last completion longer ago than the interval.
    neglected = [
        asset
        for asset in Asset.objects.filter(
            status=AssetStatus.OPERATIONAL, maintenance_interval_days__isnull=False
        )
        .annotate(
            open_work=Count(
                "maintenances", filter=Q(maintenances__status__in=MaintenanceStatus.open_statuses())
            ),
            last_done=Max("maintenances__completed_at"),
        )
        .filter(open_work=0, last_done__isnull=False)
        if (TODAY - asset.last_done.date()).days > asset.maintenance_interval_days
    ]
    assert neglected


def test_scheduled_dates_and_completions_are_plausible():
    seed()

    done = Maintenance.objects.filter(status=MaintenanceStatus.DONE)
    assert done.exists()
    assert not done.filter(completed_at__isnull=True).exists()
    assert not done.filter(completed_at__date__gt=TODAY).exists()
    open_work = Maintenance.objects.filter(status__in=MaintenanceStatus.open_statuses())
    assert not open_work.filter(scheduled_date__lt=TODAY - datetime.timedelta(days=60)).exists()
    assert not open_work.filter(scheduled_date__gt=TODAY + datetime.timedelta(days=90)).exists()
    assert not Maintenance.objects.filter(
        asset__status=AssetStatus.RETIRED, status__in=MaintenanceStatus.open_statuses()
    ).exists()


def test_sizes_are_configurable():
    output = seed("--assets", "200", "--maintenances", "1000")

    assert Asset.objects.count() == 200
    assert Maintenance.objects.count() == 1000
    assert "created 200 assets, 1000 maintenances, 6 plans, 2 users" in output
    assert len(output.strip().splitlines()) == 2  # the logins warning and the summary


def test_rejects_maintenances_without_assets():
    with pytest.raises(CommandError):
        seed("--assets", "0", "--maintenances", "10")
    with pytest.raises(CommandError):
        seed("--assets", "-1")
    assert not Asset.objects.exists()


def test_the_demo_has_plans_of_each_anchor_each_with_its_open_occurrence():
    seed()

    assert set(MaintenancePlan.objects.values_list("anchor", flat=True)) == set(PlanAnchor.values)
    for plan in MaintenancePlan.objects.all():
        assert plan.occurrences.filter(status__in=MaintenanceStatus.open_statuses()).count() == 1
    assert Maintenance.objects.filter(
        plan__isnull=False, scheduled_date__lte=TODAY + datetime.timedelta(days=7)
    ).exists()
