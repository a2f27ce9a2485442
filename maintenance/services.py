"""Write operations on maintenances and plans: the one path every save takes.

`Maintenance.save()` and `MaintenancePlan.save()` delegate here, so the API,
the admin (forms and actions), `complete` and plain ORM saves all keep the
same rules: the completion time, and a plan's one open occurrence, planned
again in the transaction that closes the previous one (DESIGN §13).
"""

import datetime
import logging
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Case, Exists, F, OuterRef, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from assets.choices import AssetStatus
from assets.models import METER_DECIMAL_PLACES, METER_MAX_DIGITS, Meter, MeterReading
from maintenance.choices import MaintenanceStatus, PlanAnchor
from maintenance.models import Maintenance, MaintenancePlan
from maintenance.recurrence import Due, Schedule

# A child of the `alerts` logger, so the periodic run's log shows it.
logger = logging.getLogger("alerts.plans")

CLOSED_STATUSES = (MaintenanceStatus.DONE, MaintenanceStatus.CANCELLED)


def save_maintenance(
    *, maintenance: Maintenance, now: datetime.datetime | None = None, **save_options: Any
) -> Maintenance:
    """Save `maintenance` (new or changed), keeping the completion rule and its plan.

    Only done work has a completion time: becoming DONE sets it to `now`
    (default: the current time) unless it is already set; any other status
    clears it. When an occurrence of a plan becomes DONE or CANCELLED, the
    plan's next occurrence is created in the same transaction. The previous
    status is read with the row locked, so two closings at once plan one next
    occurrence. `save_options` are those of `Model.save()` (`update_fields`…).
    """
    changed = _apply_completion_rule(maintenance, now=now)
    update_fields = save_options.get("update_fields")
    if update_fields is not None and changed:
        save_options["update_fields"] = {*update_fields, "completed_at"}
    if maintenance.plan_id is None:
        # The row itself, below Maintenance.save() (which calls this function).
        models.Model.save(maintenance, **save_options)
        return maintenance
    with transaction.atomic():
        closing = maintenance.status in CLOSED_STATUSES and _was_open(maintenance)
        models.Model.save(maintenance, **save_options)
        if closing:
            _plan_next_occurrence(closed=maintenance, now=now or timezone.now())
    return maintenance


def complete_maintenance(*, maintenance: Maintenance, now: datetime.datetime | None = None) -> Maintenance:
    """Mark a maintenance as done at `now` (default: the current time).

    A maintenance that is already done keeps its original completion time; a
    cancelled one cannot be completed. The row is locked first, so two
    completions at once complete it once; one deleted meanwhile raises
    `Maintenance.DoesNotExist`. Saved with `.save()`, so the signals
    that refresh the asset's alerts fire.
    """
    with transaction.atomic():
        # Maintenance.DoesNotExist when it was deleted meanwhile.
        maintenance.status, maintenance.completed_at = (
            Maintenance.objects.select_for_update()
            .filter(pk=maintenance.pk)
            .values_list("status", "completed_at")
            .get()
        )
        if maintenance.status == MaintenanceStatus.CANCELLED:
            raise ValidationError(
                {"status": _("A cancelled maintenance cannot be marked as done.")}, code="cancelled"
            )
        if maintenance.status == MaintenanceStatus.DONE:
            return maintenance
        maintenance.status = MaintenanceStatus.DONE
        save_maintenance(maintenance=maintenance, now=now, update_fields=["status", "updated_at"])
    return maintenance


def save_plan(
    *, plan: MaintenancePlan, today: datetime.date | None = None, **save_options: Any
) -> MaintenancePlan:
    """Save `plan`; an active plan then has its open occurrence.

    A new or reactivated plan gets its first occurrence (DESIGN §13); an active
    plan that lacks one (its open occurrence was deleted, its end moved later)
    gets the one that follows its last occurrence. Deactivating a plan removes
    its occurrence that is still PLANNED; one IN_PROGRESS is left to finish.
    A changed meter trigger moves the open occurrence's `due_meter_value`
    (`_retrigger_open_occurrence`).
    """
    today = today or timezone.localdate()
    with transaction.atomic():
        previous = (
            MaintenancePlan.objects.select_for_update()
            .filter(pk=plan.pk)
            .values("is_active", "meter_id", "meter_interval")
            .first()
            if plan.pk is not None
            else None
        )
        was_active = previous is not None and previous["is_active"]
        models.Model.save(plan, **save_options)
        if not plan.is_active:
            if was_active:
                _remove_planned_occurrences(plan_ids=[plan.pk])
            return plan
        if plan.asset.status == AssetStatus.RETIRED:
            return plan
        open_occurrence = _open_occurrences(plan_id=plan.pk).first()
        if open_occurrence is not None:
            if previous is not None:
                _retrigger_open_occurrence(plan, open_occurrence, previous)
            return plan
        if was_active:
            latest = plan.occurrences.order_by("-scheduled_date", "-id").first()
            due = _next_due(plan, latest=latest, today=today)
        else:
            due = _schedule(plan).first(today=today)
        if due is not None:
            _occurrence(plan, due, meter_value=_meter_value(plan)).save()
    return plan


def _retrigger_open_occurrence(plan: MaintenancePlan, occurrence: Maintenance, previous: dict) -> None:
    """Follow a change of the plan's meter trigger on its open occurrence.

    The same meter with another interval keeps the occurrence's base (the
    meter's value when the previous occurrence closed): only the interval
    changes. Another meter, or a meter added, starts from that meter's value
    now, as a new plan does. No meter: no meter due any more. Saved through
    `save_maintenance`, so the asset's alerts follow on commit.
    """
    if plan.meter_id == previous["meter_id"] and plan.meter_interval == previous["meter_interval"]:
        return
    if plan.meter_id is None or plan.meter_interval is None:
        due = None
    elif plan.meter_id == previous["meter_id"] and occurrence.due_meter_value is not None:
        due = occurrence.due_meter_value - previous["meter_interval"] + plan.meter_interval
    else:
        due = _meter_value(plan) + plan.meter_interval
    if due != occurrence.due_meter_value:
        occurrence.due_meter_value = due
        save_maintenance(maintenance=occurrence, update_fields=["due_meter_value", "updated_at"])


def deactivate_plans(*, plans: QuerySet[MaintenancePlan]) -> int:
    """Deactivate `plans` (set-based); their PLANNED occurrences are removed. Returns how many changed."""
    with transaction.atomic():
        plan_ids = list(plans.filter(is_active=True).values_list("pk", flat=True))
        MaintenancePlan.objects.filter(pk__in=plan_ids).update(is_active=False, updated_at=timezone.now())
        _remove_planned_occurrences(plan_ids=plan_ids)
    return len(plan_ids)


def delete_plans(*, plans: QuerySet[MaintenancePlan]) -> tuple[int, dict[str, int]]:
    """Delete `plans`: their open occurrences go with them, past ones stay as history (plan emptied)."""
    with transaction.atomic():
        open_deleted, _by_model = _open_occurrences(plan_id__in=plans.values("pk")).delete()
        deleted, by_model = plans.delete()
    return deleted + open_deleted, by_model


def ensure_plan_occurrences(*, today: datetime.date | None = None) -> int:
    """The periodic safety net: every active plan gets its open occurrence.

    Set-based: one query finds the active plans (on assets in service, not
    ended) without an open occurrence, with their latest occurrence and the
    meter's value when it closed (DESIGN §14); one statement inserts what
    they lack. A plan that got its occurrence meanwhile
    is left alone (the unique index). Returns how many were created.
    """
    today = today or timezone.localdate()
    latest = Maintenance.objects.filter(plan=OuterRef("pk")).order_by("-scheduled_date", "-id")
    plans = (
        MaintenancePlan.objects.filter(is_active=True)
        .exclude(asset__status=AssetStatus.RETIRED)
        .exclude(ends_on__lt=today)
        .exclude(Exists(_open_occurrences(plan=OuterRef("pk"))))
        .annotate(
            latest_status=Subquery(latest.values("status")[:1]),
            latest_date=Subquery(latest.values("scheduled_date")[:1]),
            latest_completed_at=Subquery(latest.values("completed_at")[:1]),
            # When it closed: its completion, or its last change for a cancelled one.
            latest_closed_at=Subquery(
                latest.annotate(closed_at=Coalesce("completed_at", "updated_at")).values("closed_at")[:1]
            ),
        )
        .annotate(meter_value_then=_meter_value_at(OuterRef("latest_closed_at")))
        .order_by()
    )
    occurrences = []
    for plan in plans:
        previous = None
        if plan.latest_status is not None:
            previous = Maintenance(
                status=plan.latest_status,
                scheduled_date=plan.latest_date,
                completed_at=plan.latest_completed_at,
            )
        due = _next_due(plan, latest=previous, today=today)
        if due is not None:
            occurrences.append(_occurrence(plan, due, meter_value=plan.meter_value_then))
    Maintenance.objects.bulk_create(occurrences, ignore_conflicts=True)
    if occurrences:
        logger.info("Plans: %d missing occurrence(s) planned.", len(occurrences))
    return len(occurrences)


def _apply_completion_rule(maintenance: Maintenance, *, now: datetime.datetime | None) -> bool:
    """Set or clear `completed_at` to match the status; whether it changed."""
    if maintenance.status == MaintenanceStatus.DONE:
        if maintenance.completed_at is None:
            maintenance.completed_at = now or timezone.now()
            return True
        return False
    if maintenance.completed_at is not None:
        maintenance.completed_at = None
        return True
    return False


def _was_open(maintenance: Maintenance) -> bool:
    if maintenance.pk is None:
        return False
    previous = (
        Maintenance.objects.select_for_update()
        .filter(pk=maintenance.pk)
        .values_list("status", flat=True)
        .first()
    )
    return previous in MaintenanceStatus.open_statuses()


def _plan_next_occurrence(*, closed: Maintenance, now: datetime.datetime) -> Maintenance | None:
    plan = MaintenancePlan.objects.select_related("asset").get(pk=closed.plan_id)
    if not plan.is_active or plan.asset.status == AssetStatus.RETIRED:
        return None
    due = _next_due(plan, latest=closed, today=timezone.localdate(now))
    if due is None:
        return None
    occurrence = _occurrence(plan, due, meter_value=_meter_value(plan))
    occurrence.save()
    return occurrence


def _next_due(plan: MaintenancePlan, *, latest: Maintenance | None, today: datetime.date) -> Due | None:
    """When the occurrence after `latest` (the first one if None) is due."""
    schedule = _schedule(plan)
    if latest is None:
        return schedule.first(today=today)
    if plan.anchor == PlanAnchor.SCHEDULE:
        return schedule.after_schedule(closed_on=latest.scheduled_date, today=today)
    if latest.status == MaintenanceStatus.DONE and latest.completed_at is not None:
        return schedule.after_completion(done_on=timezone.localdate(latest.completed_at))
    return schedule.after_completion(done_on=today)


def _schedule(plan: MaintenancePlan) -> Schedule:
    return Schedule(
        anchor=plan.anchor,
        interval=plan.interval,
        interval_unit=plan.interval_unit,
        starts_on=plan.starts_on,
        ends_on=plan.ends_on,
    )


def _meter_value(plan: MaintenancePlan) -> Decimal | None:
    """The plan's meter value now (no reading yet counts as 0); None for a plan without a meter."""
    if plan.meter_id is None:
        return None
    value = Meter.objects.filter(pk=plan.meter_id).values_list("last_value", flat=True).get()
    return value if value is not None else Decimal(0)


def _meter_value_at(when: OuterRef) -> Case:
    """Per plan: its meter's value at `when` (its latest reading then), its value now when
    `when` is null (the plan starts now), 0 before any reading; null without a meter."""
    reading_then = MeterReading.objects.filter(meter=OuterRef("meter_id"), read_at__lte=when).order_by(
        "-read_at", "-id"
    )
    return Case(
        When(meter__isnull=True, then=Value(None)),
        When(
            latest_closed_at__isnull=False,
            then=Coalesce(Subquery(reading_then.values("value")[:1]), Value(Decimal(0))),
        ),
        default=Coalesce(F("meter__last_value"), Value(Decimal(0))),
        output_field=models.DecimalField(max_digits=METER_MAX_DIGITS, decimal_places=METER_DECIMAL_PLACES),
    )


def _occurrence(plan: MaintenancePlan, due: Due, *, meter_value: Decimal | None = None) -> Maintenance:
    description = plan.description
    if due.skipped:
        note = ngettext(
            "%(count)d occurrence skipped: %(dates)s.",
            "%(count)d occurrences skipped: %(dates)s.",
            due.skipped,
        ) % {
            "count": due.skipped,
            "dates": ", ".join(date.isoformat() for date in due.skipped_dates)
            + (", …" if due.skipped > len(due.skipped_dates) else ""),
        }
        description = f"{description}\n\n{note}" if description else note
    return Maintenance(
        plan=plan,
        asset_id=plan.asset_id,
        title=plan.title,
        description=description,
        kind=plan.kind,
        assigned_to_id=plan.assigned_to_id,
        scheduled_date=due.date,
        status=MaintenanceStatus.PLANNED,
        due_meter_value=None if meter_value is None else meter_value + plan.meter_interval,
    )


def _open_occurrences(**lookups) -> QuerySet[Maintenance]:
    return Maintenance.objects.filter(status__in=MaintenanceStatus.open_statuses(), **lookups)


def _remove_planned_occurrences(*, plan_ids) -> None:
    Maintenance.objects.filter(plan_id__in=plan_ids, status=MaintenanceStatus.PLANNED).delete()
