"""Fill the database with a deterministic demo fleet, its maintenances and two demo users.

The data is laid out around today so that every alert rule of DESIGN §3 has
something to fire on, with a few preventive plans (DESIGN §13). Rows are
written with `bulk_create` (no signals: the alerts are generated afterwards
by `generate_alerts`), which keeps a run with hundreds of thousands of rows
down to minutes. The plans get their first occurrences from the service
that is the periodic safety net of plans. A few assets get a run-hours meter
with a month of readings (DESIGN §14); two plans follow theirs, one nearing
its meter interval and one past it. `--meters N` meters more than those ten
each get a usage-based plan of their own (the benchmark meters 10% of its
fleet), written set-based.
"""

import os
import random
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone
from tqdm import tqdm

from alertsite.roles import MANAGERS, TECHNICIANS
from assets.choices import AssetStatus, Criticality
from assets.models import Asset, Meter, MeterReading
from maintenance.choices import IntervalUnit, MaintenanceKind, MaintenanceStatus, PlanAnchor
from maintenance.models import Maintenance, MaintenancePlan
from maintenance.services import ensure_plan_occurrences

BATCH_SIZE = 5_000
# Below this many rows a progress bar is noise.
PROGRESS_THRESHOLD = 20_000
DEFAULT_PASSWORD = "alertsite-demo"

# (code prefix, names, possible preventive intervals in days, weight in the fleet)
ASSET_TYPES = [
    ("PUMP", ["Centrifugal pump", "Submersible pump", "Dosing pump", "Booster pump"], [60, 90, 180], 20),
    ("VEH", ["Delivery van", "Forklift", "Utility truck", "Tractor unit"], [90, 180, 365], 16),
    ("COMP", ["Screw air compressor", "Piston compressor"], [90, 180], 12),
    ("GEN", ["Diesel generator", "Standby generator"], [180, 365], 10),
    ("CONV", ["Belt conveyor", "Roller conveyor", "Screw conveyor"], [30, 60, 90], 12),
    ("HVAC", ["Air handling unit", "Rooftop unit"], [90, 180], 8),
    ("BOIL", ["Steam boiler", "Hot water boiler"], [365], 6),
    ("CHIL", ["Water chiller"], [180], 5),
    ("CRANE", ["Overhead crane", "Jib crane"], [180, 365], 6),
    ("XFMR", ["Power transformer"], [365], 5),
]
SITES = ["North plant", "South plant", "Harbour depot", "Central warehouse", "Water treatment works"]
AREAS = ["Hall A", "Hall B", "Line 1", "Line 2", "Boiler room", "Yard", "Roof", "Fleet bay"]
CRITICALITY_WEIGHTS = {
    Criticality.LOW: 25,
    Criticality.MEDIUM: 40,
    Criticality.HIGH: 25,
    Criticality.CRITICAL: 10,
}
TITLES = {
    MaintenanceKind.PREVENTIVE: [
        "Preventive service",
        "Oil and filter change",
        "Lubrication round",
        "Belt and bearing check",
        "Annual overhaul",
    ],
    MaintenanceKind.INSPECTION: [
        "Safety inspection",
        "Vibration analysis",
        "Thermographic survey",
        "Regulatory inspection",
    ],
    MaintenanceKind.CORRECTIVE: [
        "Replace worn seal",
        "Repair leak",
        "Fix electrical fault",
        "Replace damaged part",
    ],
}
KIND_WEIGHTS = {
    MaintenanceKind.PREVENTIVE: 55,
    MaintenanceKind.INSPECTION: 25,
    MaintenanceKind.CORRECTIVE: 20,
}

# Scenario -> (status, range of d = scheduled_date - today, weight). Together
# they spread the planning from 60 days ago to 90 days ahead.
SCENARIOS = {
    "done": (MaintenanceStatus.DONE, (-60, -1), 36),
    "overdue_planned": (MaintenanceStatus.PLANNED, (-45, -1), 6),
    "overdue_in_progress": (MaintenanceStatus.IN_PROGRESS, (-20, -1), 3),
    "in_progress": (MaintenanceStatus.IN_PROGRESS, (0, 5), 4),
    "due_soon": (MaintenanceStatus.PLANNED, (0, 7), 8),
    "upcoming": (MaintenanceStatus.PLANNED, (8, 90), 38),
    "cancelled": (MaintenanceStatus.CANCELLED, (-60, 90), 5),
}
# The first maintenances of every run: one per rule and priority tier, so even
# a small fleet shows every kind of alert.
GUARANTEED = [
    ("overdue_planned", -12),  # overdue for a week or more: CRITICAL
    ("overdue_planned", -2),  # recently overdue: HIGH
    ("overdue_in_progress", -9),
    ("due_soon", 0),  # due today: HIGH
    ("due_soon", 1),
    ("due_soon", 5),  # due this week: MEDIUM
    ("in_progress", 2),
    ("done", -20),
    ("upcoming", 30),
    ("cancelled", 10),
]

# Preventive plans of the demo, on the first assets in normal service: (title, kind,
# interval, unit, anchor, starts_on - today in days, assigned to the technician).
# Their first occurrences count among --maintenances, so the total stays as asked.
DEMO_PLANS = [
    ("Oil change", MaintenanceKind.PREVENTIVE, 3, IntervalUnit.MONTH, PlanAnchor.SCHEDULE, -87, True),
    (
        "Annual safety inspection",
        MaintenanceKind.INSPECTION,
        1,
        IntervalUnit.YEAR,
        PlanAnchor.SCHEDULE,
        -360,
        False,
    ),
    ("Filter replacement", MaintenanceKind.PREVENTIVE, 2, IntervalUnit.WEEK, PlanAnchor.SCHEDULE, -4, True),
    ("Lubrication round", MaintenanceKind.PREVENTIVE, 30, IntervalUnit.DAY, PlanAnchor.COMPLETION, -10, True),
    (
        "Belt tension check",
        MaintenanceKind.INSPECTION,
        1,
        IntervalUnit.MONTH,
        PlanAnchor.COMPLETION,
        3,
        False,
    ),
    ("Calibration", MaintenanceKind.PREVENTIVE, 6, IntervalUnit.MONTH, PlanAnchor.COMPLETION, 40, False),
]

# Run-hours meters on the first assets in normal service, with a daily reading
# for this many days. The plans at these indexes of DEMO_PLANS follow their
# asset's meter: (meter interval in hours, latest reading), one due soon, one overdue.
METERED_ASSETS = 10
READING_DAYS = 30
METER_PLANS = {2: (250, 262), 3: (500, 465)}
# The meters beyond the demo's (--meters): each on its own usage-based plan,
# "every 6 months or N h", its latest reading this share of the meter interval
# (weights): most far from due, some due soon, some overdue, a few critically.
EXTRA_METER_PROGRESS = [((0.2, 0.85), 80), ((0.9, 0.99), 10), ((1.0, 1.09), 7), ((1.1, 1.3), 3)]
EXTRA_METER_INTERVALS = [250, 500, 1000, 2000]

# Asset profiles: what kind of maintenance history an asset gets.
NORMAL, NEGLECTED, RETIRED = "normal", "neglected", "retired"


@dataclass(frozen=True)
class AssetPlan:
    code: str
    name: str
    location: str
    status: str
    criticality: str
    maintenance_interval_days: int | None
    commissioned_on: date
    profile: str


class Command(BaseCommand):
    help = (
        "Create a deterministic demo fleet (assets, maintenances around today so that every alert "
        "rule fires, a few preventive plans of each anchor) and the demo users 'manager' and "
        "'technician'. Running it again creates nothing twice. "
        "Run generate_alerts afterwards to compute the alerts."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--assets", type=int, default=50, help="Number of demo assets to plan (default: 50)."
        )
        parser.add_argument(
            "--maintenances",
            type=int,
            default=300,
            help="Number of maintenances to plan over those assets (default: 300).",
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=42,
            help="Random seed; the same seed gives the same data (default: 42).",
        )
        parser.add_argument(
            "--meters",
            type=int,
            default=METERED_ASSETS,
            help=f"Assets in service given a run-hours meter with a month of readings (default: "
            f"{METERED_ASSETS}). Those beyond the first {METERED_ASSETS} each get a usage-based plan "
            "whose open occurrence counts among --maintenances.",
        )

    def handle(
        self, *args, assets: int, maintenances: int, seed: int, meters: int = METERED_ASSETS, **options
    ):
        if assets < 0 or maintenances < 0 or meters < 0:
            raise CommandError("--assets, --maintenances and --meters must be zero or more.")
        if maintenances and not assets:
            raise CommandError("--maintenances needs at least one asset (--assets).")

        today = timezone.localdate()
        now = timezone.now()
        rng = random.Random(seed)
        password = os.environ.get("DEMO_PASSWORD") or DEFAULT_PASSWORD

        with transaction.atomic():
            users, users_created = self._create_users(password)
            self._subscribe_manager(users[0])
            plans = plan_assets(rng, assets, today)
            new_ids = self._create_assets(plans)
            normal_ids = [
                new_ids[index]
                for index, plan in enumerate(plans)
                if plan.profile == NORMAL and index in new_ids
            ]
            plan_count = min(len(DEMO_PLANS), maintenances, len(normal_ids))
            metered = normal_ids[: min(meters, len(normal_ids))]
            extra_count = min(max(len(metered) - METERED_ASSETS, 0), maintenances - plan_count)
            regular = maintenances - plan_count - extra_count
            maintenances_created = self._create_maintenances(
                plan_maintenances(rng, plans, regular, today, now, users), total=regular, new_ids=new_ids
            )
            meters = self._create_meters(metered[: METERED_ASSETS + extra_count])
            latest = self._plan_meter_plans(
                rng,
                meters,
                demo_plan_assets=normal_ids[:plan_count],
                extra=metered[METERED_ASSETS:][:extra_count],
            )
            maintenances_created += self._create_plans(
                normal_ids[:plan_count],
                today=today,
                technician=users[1],
                meters=meters,
                extra_plans=[(asset_id, interval) for asset_id, (_, interval) in latest.items() if interval],
            )
            readings_created = self._create_readings(meters, latest, now=now)
            plan_count += extra_count

        if users_created:
            self.stdout.write(
                self.style.WARNING(
                    f"Demo logins (demo only: change or delete these accounts before any real use): "
                    f"manager / {password} (admin), technician / {password}."
                )
            )
        self.stdout.write(
            f"seed_demo: created {len(new_ids)} assets, {maintenances_created} maintenances, "
            f"{plan_count} plans, {users_created} users; {len(meters)} meters ({readings_created} readings)."
        )

    def _create_users(self, password: str) -> tuple[list, int]:
        """The two demo users, created once; an existing account keeps its password."""
        User = get_user_model()
        created_count = 0
        users = []
        for username, group_name, is_staff in [
            ("manager", MANAGERS, True),
            ("technician", TECHNICIANS, False),
        ]:
            user, created = User.objects.get_or_create(
                username=username, defaults={"is_staff": is_staff, "email": f"{username}@example.com"}
            )
            if created:
                user.set_password(password)
                user.save(update_fields=["password"])
                created_count += 1
            user.groups.add(Group.objects.get(name=group_name))
            users.append(user)
        return users, created_count

    def _subscribe_manager(self, manager) -> None:
        """An email subscription for the demo manager: with the default EMAIL_URL (the console),
        the server's output shows a notice as soon as a HIGH or CRITICAL alert appears."""
        from alerts.models import Subscription

        Subscription.objects.get_or_create(
            user=manager,
            name="Demo: high and critical alerts by email",
            defaults={"channel": "EMAIL", "target": manager.email},
        )

    def _create_assets(self, plans: list[AssetPlan]) -> dict[int, int]:
        """Create the planned assets whose code is free; map plan index -> new asset id."""
        existing = set(Asset.objects.values_list("code", flat=True))
        to_create = [(index, plan) for index, plan in enumerate(plans) if plan.code not in existing]
        new_ids: dict[int, int] = {}
        with self._progress(len(to_create), "assets") as progress:
            for start in range(0, len(to_create), BATCH_SIZE):
                chunk = to_create[start : start + BATCH_SIZE]
                objs = Asset.objects.bulk_create(
                    [
                        Asset(
                            code=plan.code,
                            name=plan.name,
                            location=plan.location,
                            status=plan.status,
                            criticality=plan.criticality,
                            maintenance_interval_days=plan.maintenance_interval_days,
                            commissioned_on=plan.commissioned_on,
                        )
                        for _, plan in chunk
                    ]
                )
                # PostgreSQL and SQLite >= 3.35 return the new primary keys.
                new_ids.update((index, obj.pk) for (index, _), obj in zip(chunk, objs, strict=True))
                progress.update(len(chunk))
        return new_ids

    def _create_maintenances(self, planned: Iterator[dict], *, total: int, new_ids: dict[int, int]) -> int:
        """Create the planned maintenances of the assets created by this run only."""
        created = 0
        batch: list[Maintenance] = []
        with self._progress(total, "maintenances") as progress:
            for fields in planned:
                asset_id = new_ids.get(fields.pop("asset_index"))
                if asset_id is not None:
                    batch.append(Maintenance(asset_id=asset_id, **fields))
                if len(batch) >= BATCH_SIZE:
                    created += len(Maintenance.objects.bulk_create(batch))
                    batch = []
                progress.update(1)
            created += len(Maintenance.objects.bulk_create(batch))
        return created

    def _create_meters(self, asset_ids: list[int]) -> dict[int, Meter]:
        """A run-hours meter per asset, without readings yet; by asset id."""
        meters = Meter.objects.bulk_create(
            Meter(asset_id=asset_id, name="Run hours", unit="h") for asset_id in asset_ids
        )
        return {meter.asset_id: meter for meter in meters}

    def _plan_meter_plans(
        self, rng: random.Random, meters: dict[int, Meter], *, demo_plan_assets, extra
    ) -> dict[int, tuple[int, int | None]]:
        """Per metered asset: its latest reading and the meter interval of its own plan (None for the
        demo's meters, two of which the demo plans follow)."""
        latest_of_plan = {
            demo_plan_assets[index]: latest
            for index, (_interval, latest) in METER_PLANS.items()
            if index < len(demo_plan_assets)
        }
        extra = set(extra)
        ranges, weights = zip(*EXTRA_METER_PROGRESS, strict=True)
        planned = {}
        for asset_id in meters:
            if asset_id in extra:
                interval = rng.choice(EXTRA_METER_INTERVALS)
                low, high = rng.choices(ranges, weights=weights)[0]
                planned[asset_id] = (round(interval * rng.uniform(low, high)), interval)
            else:
                planned[asset_id] = (latest_of_plan.get(asset_id) or rng.randrange(100, 5000), None)
        return planned

    def _create_readings(self, meters: dict[int, Meter], latest: dict, *, now) -> int:
        """A daily reading for a month per meter, rising to its latest value: one INSERT … SELECT of
        the meters and the days, then their latest value and time (set with them)."""
        if not meters:
            return 0
        adapt = connection.ops.adapt_datetimefield_value
        days = ", ".join(["(%s, %s)"] * READING_DAYS)
        day_params = []
        for day in range(READING_DAYS):
            day_params += [day + 1, adapt(now - timedelta(days=READING_DAYS - 1 - day))]
        for meter in meters.values():
            meter.last_value, meter.last_read_at = latest[meter.asset_id][0], now
        Meter.objects.bulk_update(meters.values(), ["last_value", "last_read_at"], batch_size=BATCH_SIZE)
        reading, meter_table = MeterReading._meta.db_table, Meter._meta.db_table
        ids = [meter.pk for meter in meters.values()]
        insert = (
            f"INSERT INTO {reading} (meter_id, value, read_at) "  # noqa: S608 (names and placeholders only)
            f"SELECT m.id, ROUND(m.last_value * d.column1 / {READING_DAYS}, 1), d.column2 "
            f"FROM {meter_table} m CROSS JOIN (VALUES {days}) d WHERE m.id IN "
        )
        with connection.cursor() as cursor:
            for start in range(0, len(ids), BATCH_SIZE):
                chunk = ids[start : start + BATCH_SIZE]
                cursor.execute(f"{insert}({', '.join(['%s'] * len(chunk))})", [*day_params, *chunk])
        return len(ids) * READING_DAYS

    def _create_plans(
        self,
        asset_ids: list[int],
        *,
        today: date,
        technician,
        meters: dict[int, Meter],
        extra_plans: list[tuple[int, int]] = (),
    ) -> int:
        """One demo plan per asset, one usage-based plan per extra meter, and their first
        occurrences. Returns the occurrences created.

        The meter plans start before their meter's first reading: their first
        occurrence is due at the meter interval."""
        MaintenancePlan.objects.bulk_create(
            (
                MaintenancePlan(
                    asset_id=asset_id,
                    title="Service (run hours)",
                    kind=MaintenanceKind.PREVENTIVE,
                    interval=6,
                    interval_unit=IntervalUnit.MONTH,
                    anchor=PlanAnchor.SCHEDULE,
                    # Its first occurrence falls 10 to 180 days ahead.
                    starts_on=today + timedelta(days=10 + asset_id % 170),
                    meter=meters[asset_id],
                    meter_interval=interval,
                )
                for asset_id, interval in extra_plans
            ),
            batch_size=BATCH_SIZE,
        )
        MaintenancePlan.objects.bulk_create(
            MaintenancePlan(
                asset_id=asset_id,
                title=title,
                kind=kind,
                interval=interval,
                interval_unit=unit,
                anchor=anchor,
                starts_on=today + timedelta(days=start),
                assigned_to=technician if assigned else None,
                meter=meters.get(asset_id) if index in METER_PLANS else None,
                meter_interval=METER_PLANS[index][0] if index in METER_PLANS and asset_id in meters else None,
            )
            for index, (asset_id, (title, kind, interval, unit, anchor, start, assigned)) in enumerate(
                zip(asset_ids, DEMO_PLANS, strict=False)
            )
        )
        # The periodic safety net plans them, set-based and without signals like the rest.
        return ensure_plan_occurrences(today=today)

    def _progress(self, total: int, unit: str) -> tqdm:
        # To stderr, so that the summary on stdout stays one line.
        return tqdm(
            total=total, unit=f" {unit}", desc=unit, file=sys.stderr, disable=total < PROGRESS_THRESHOLD
        )


def plan_assets(rng: random.Random, count: int, today: date) -> list[AssetPlan]:
    """The demo fleet: mostly operational, a few broken, retired or overdue for service."""
    # Exact numbers of special assets (not left to chance) so that any seed and
    # any size of fleet shows each case.
    special = list(range(count))
    rng.shuffle(special)
    shares = [(AssetStatus.NEEDS_MAINTENANCE, 0.06), (AssetStatus.OUT_OF_SERVICE, 0.04), (RETIRED, 0.04)]
    special_status: dict[int, str] = {}
    for status, share in shares:
        for _ in range(max(1, round(count * share)) if count >= 10 else 0):
            special_status[special.pop()] = status
    neglected = {special.pop() for _ in range(max(1, round(count * 0.08)) if count >= 10 else 0)}

    type_weights = [weight for *_, weight in ASSET_TYPES]
    numbers: dict[str, int] = {}
    plans = []
    for index in range(count):
        prefix, names, intervals, _ = rng.choices(ASSET_TYPES, weights=type_weights)[0]
        numbers[prefix] = numbers.get(prefix, 0) + 1
        number = numbers[prefix]
        status = special_status.get(index, AssetStatus.OPERATIONAL)
        profile = NORMAL
        if status == RETIRED:
            status, profile = AssetStatus.RETIRED, RETIRED
        elif index in neglected:
            profile = NEGLECTED
        interval = rng.choice(intervals) if profile == NEGLECTED or rng.random() < 0.6 else None
        plans.append(
            AssetPlan(
                code=f"{prefix}-{number:03d}",
                name=f"{rng.choice(names)} {number}",
                location=f"{rng.choice(SITES)}, {rng.choice(AREAS)}",
                status=status,
                criticality=rng.choices(list(CRITICALITY_WEIGHTS), weights=CRITICALITY_WEIGHTS.values())[0],
                maintenance_interval_days=interval,
                commissioned_on=today - timedelta(days=rng.randint(400, 4000)),
                profile=profile,
            )
        )
    return plans


def plan_maintenances(
    rng: random.Random, plans: list[AssetPlan], count: int, today: date, now: datetime, users: list
) -> Iterator[dict]:
    """Yield the fields of `count` maintenances, lazily (a million would not fit comfortably)."""
    normal = [index for index, plan in enumerate(plans) if plan.profile == NORMAL]
    scenario_names = list(SCENARIOS)
    scenario_weights = [weight for *_, weight in SCENARIOS.values()]
    kinds, kind_weights = list(KIND_WEIGHTS), list(KIND_WEIGHTS.values())
    tz = timezone.get_current_timezone()

    for number in range(count):
        if number < len(GUARANTEED) and normal:
            asset_index = rng.choice(normal)
            scenario, days = GUARANTEED[number]
        else:
            asset_index = rng.randrange(len(plans))
            scenario = rng.choices(scenario_names, weights=scenario_weights)[0]
            days = rng.randint(*SCENARIOS[scenario][1])
        plan = plans[asset_index]
        if plan.profile == NEGLECTED:
            # History only, and the last service older than the interval: the
            # asset is due for preventive work that nobody planned.
            scenario = "done" if rng.random() < 0.8 else "cancelled"
            days = -(plan.maintenance_interval_days + rng.randint(10, 60))
        elif plan.profile == RETIRED and SCENARIOS[scenario][0] != MaintenanceStatus.DONE:
            scenario, days = "cancelled", rng.randint(-60, -1)
        status = SCENARIOS[scenario][0]
        kind = rng.choices(kinds, weights=kind_weights)[0]
        scheduled_date = today + timedelta(days=days)

        completed_at = None
        if status == MaintenanceStatus.DONE:
            finished_on = scheduled_date + timedelta(days=rng.randint(0, 1))
            completed_at = min(
                datetime.combine(finished_on, time(rng.randint(7, 17), rng.choice([0, 15, 30, 45])), tz),
                now - timedelta(hours=1),
            )
        yield {
            "asset_index": asset_index,
            "title": rng.choice(TITLES[kind]),
            "kind": kind,
            "status": status,
            "scheduled_date": scheduled_date,
            "completed_at": completed_at,
            "assigned_to": rng.choice(users) if rng.random() < 0.5 else None,
        }
