"""For random fleets, the active alerts equal a plain-Python reading of DESIGN §3."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alerts.models import Alert
from alerts.services import generate_alerts
from assets.choices import AssetStatus, Criticality
from assets.models import Asset
from maintenance.choices import MaintenanceStatus
from maintenance.models import Maintenance

NOW = datetime.datetime(2026, 6, 15, 22, 30, tzinfo=datetime.UTC)
TZ = "Europe/Paris"  # 00:30 on the 16th there: local and UTC dates differ
RANK = {"LOW": 1, "MEDIUM": 2, "HIGH": 3, "CRITICAL": 4}

# Values at and around every threshold, so boundaries are hit often.
INTERVALS = [None, 1, 5, 30]
AROUND_INTERVALS = [0, 1, 2, 4, 5, 6, 29, 30, 31]
AROUND_DUE_DATES = [-8, -7, -6, -1, 0, 1, 2, 7, 8]

maintenance_strategy = st.fixed_dictionaries(
    {
        "status": st.sampled_from(MaintenanceStatus.values),
        "days": st.one_of(st.sampled_from(AROUND_DUE_DATES), st.integers(-15, 15)),
        "completed_days_ago": st.sampled_from(AROUND_INTERVALS),
        "completed_hour": st.integers(0, 23),
    }
)
asset_strategy = st.fixed_dictionaries(
    {
        # Mostly operational, so the interval rule decides often.
        "status": st.one_of(st.just(AssetStatus.OPERATIONAL), st.sampled_from(AssetStatus.values)),
        "criticality": st.sampled_from(Criticality.values),
        "interval": st.sampled_from(INTERVALS),
        "commissioned_days_ago": st.one_of(st.none(), st.sampled_from(AROUND_INTERVALS)),
        "maintenances": st.one_of(
            st.lists(maintenance_strategy, max_size=5),
            st.lists(
                maintenance_strategy.filter(lambda m: m["status"] == MaintenanceStatus.DONE), max_size=3
            ),
        ),
    }
)


def reference_alerts(assets: list[Asset], today: datetime.date, tz: ZoneInfo) -> set[tuple]:
    """DESIGN §3 read literally, one object at a time."""
    expected = set()
    for asset in assets:
        if asset.status == AssetStatus.RETIRED:
            continue
        maintenances = list(asset.maintenances.all())
        for m in maintenances:
            d = (m.scheduled_date - today).days
            if d < 0 and m.status in (MaintenanceStatus.PLANNED, MaintenanceStatus.IN_PROGRESS):
                critical = -d >= 7 or asset.criticality == Criticality.CRITICAL
                expected.add(("MAINTENANCE_OVERDUE", asset.pk, m.pk, "CRITICAL" if critical else "HIGH"))
            if 0 <= d <= 7 and m.status == MaintenanceStatus.PLANNED:
                high = d <= 1 or asset.criticality == Criticality.CRITICAL
                expected.add(("MAINTENANCE_DUE_SOON", asset.pk, m.pk, "HIGH" if high else "MEDIUM"))
        degraded = asset.status in (AssetStatus.NEEDS_MAINTENANCE, AssetStatus.OUT_OF_SERVICE)
        overdue_interval = False
        if asset.maintenance_interval_days and not any(
            m.status in (MaintenanceStatus.PLANNED, MaintenanceStatus.IN_PROGRESS) for m in maintenances
        ):
            done = [m.completed_at.astimezone(tz).date() for m in maintenances if m.status == "DONE"]
            base = max(done) if done else asset.commissioned_on or asset.created_at.astimezone(tz).date()
            overdue_interval = (today - base).days > asset.maintenance_interval_days
        if degraded or overdue_interval:
            priority = asset.criticality
            if asset.status == AssetStatus.OUT_OF_SERVICE and RANK[priority] < RANK["HIGH"]:
                priority = "HIGH"
            expected.add(("ASSET_NEEDS_MAINTENANCE", asset.pk, None, priority))
    return expected


@pytest.mark.django_db
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fleet=st.lists(asset_strategy, min_size=1, max_size=6), run_twice=st.booleans())
def test_active_alerts_match_the_reference(fleet, run_twice, settings):
    settings.TIME_ZONE = TZ
    tz = ZoneInfo(TZ)
    with time_machine.travel(NOW, tick=False), transaction.atomic():
        today = NOW.astimezone(tz).date()
        assets = []
        for index, spec in enumerate(fleet):
            commissioned = spec["commissioned_days_ago"]
            asset = Asset.objects.create(
                code=f"P-{index}",
                name=f"Pump {index}",
                status=spec["status"],
                criticality=spec["criticality"],
                maintenance_interval_days=spec["interval"],
                commissioned_on=None
                if commissioned is None
                else today - datetime.timedelta(days=commissioned),
            )
            for m in spec["maintenances"]:
                done = m["status"] == MaintenanceStatus.DONE
                completed_on = today - datetime.timedelta(days=m["completed_days_ago"])
                completed_at = datetime.datetime.combine(
                    completed_on, datetime.time(m["completed_hour"]), tzinfo=tz
                )
                Maintenance.objects.create(
                    asset=asset,
                    title="Work",
                    status=m["status"],
                    scheduled_date=today + datetime.timedelta(days=m["days"]),
                    completed_at=min(completed_at, NOW) if done else None,
                )
            assets.append(asset)

        generate_alerts()
        if run_twice:
            second = generate_alerts()
            assert (second.created, second.updated, second.resolved) == (0, 0, 0)

        actual = set(
            Alert.objects.filter(is_active=True).values_list("kind", "asset_id", "maintenance_id", "priority")
        )
        assert actual == reference_alerts(assets, today, tz)
        transaction.set_rollback(True)
