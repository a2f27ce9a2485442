"""Preventive plans (DESIGN §13): one open occurrence, the next planned by every closing path."""

import datetime
import threading

import pytest
import time_machine
from django.core.management import call_command
from django.db import connections, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from alerts.choices import AlertKind
from alerts.models import Alert
from assets.choices import AssetStatus
from maintenance.choices import IntervalUnit, MaintenanceKind, MaintenanceStatus, PlanAnchor
from maintenance.models import Maintenance, MaintenancePlan
from maintenance.services import complete_maintenance, deactivate_plans, ensure_plan_occurrences
from tests.factories import AssetFactory, MaintenanceFactory, MaintenancePlanFactory

D = datetime.date
TODAY = D(2026, 6, 15)
NOW = datetime.datetime(2026, 6, 15, 12, 0, tzinfo=datetime.UTC)
OPEN = MaintenanceStatus.open_statuses()


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


def open_occurrence(plan) -> Maintenance:
    return plan.occurrences.get(status__in=OPEN)


def monthly_plan(**kwargs) -> MaintenancePlan:
    """Every month from Jan 31: Jan 31, Feb 28, Mar 31, Apr 30, May 31, Jun 30, Jul 31…"""
    return MaintenancePlanFactory(
        interval=1, interval_unit=IntervalUnit.MONTH, starts_on=D(2026, 1, 31), **kwargs
    )


# --- Creating a plan -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_new_plan_gets_its_first_occurrence_with_the_plans_details(technician):
    plan = monthly_plan(
        title="Oil change",
        description="5 l of 10W-40",
        kind=MaintenanceKind.INSPECTION,
        assigned_to=technician,
    )

    occurrence = open_occurrence(plan)
    assert occurrence.scheduled_date == D(2026, 6, 30)
    assert occurrence.status == MaintenanceStatus.PLANNED
    assert (occurrence.title, occurrence.description, occurrence.kind, occurrence.assigned_to) == (
        "Oil change",
        "5 l of 10W-40",
        MaintenanceKind.INSPECTION,
        technician,
    )
    assert occurrence.asset_id == plan.asset_id


@pytest.mark.django_db
def test_a_plan_starting_later_is_first_due_on_its_start():
    plan = MaintenancePlanFactory(starts_on=D(2026, 9, 1))
    assert open_occurrence(plan).scheduled_date == D(2026, 9, 1)


@pytest.mark.django_db
def test_completion_anchor_first_occurrence_is_today_when_the_start_has_passed():
    plan = MaintenancePlanFactory(anchor=PlanAnchor.COMPLETION, starts_on=D(2026, 1, 1))
    assert open_occurrence(plan).scheduled_date == TODAY


@pytest.mark.django_db
def test_an_inactive_or_ended_plan_gets_no_occurrence():
    inactive = MaintenancePlanFactory(is_active=False)
    ended = MaintenancePlanFactory(starts_on=D(2025, 1, 1), ends_on=D(2026, 6, 1))
    assert not inactive.occurrences.exists()
    assert not ended.occurrences.exists()


@pytest.mark.django_db
def test_editing_a_plan_keeps_its_one_occurrence():
    plan = monthly_plan()
    plan.title = "Renamed"
    plan.save()
    assert plan.occurrences.count() == 1


# --- Closing an occurrence -------------------------------------------------------------------------


@pytest.mark.django_db
def test_completing_plans_the_next_date_of_the_schedule():
    plan = monthly_plan()
    complete_maintenance(maintenance=open_occurrence(plan))

    assert open_occurrence(plan).scheduled_date == D(2026, 7, 31)
    assert plan.occurrences.count() == 2


@pytest.mark.django_db
def test_a_late_completion_skips_the_passed_dates_and_says_so():
    plan = monthly_plan(description="Change the oil.")
    first = open_occurrence(plan)
    first.scheduled_date = D(2026, 3, 31)  # three months late by today
    first.save()

    complete_maintenance(maintenance=first)

    following = open_occurrence(plan)
    assert following.scheduled_date == D(2026, 6, 30)
    assert following.description == "Change the oil.\n\n2 occurrences skipped: 2026-04-30, 2026-05-31."


@pytest.mark.django_db
def test_completion_anchor_next_is_one_interval_after_the_completion_date():
    plan = MaintenancePlanFactory(
        anchor=PlanAnchor.COMPLETION, starts_on=D(2026, 1, 1), interval=10, interval_unit=IntervalUnit.DAY
    )
    complete_maintenance(
        maintenance=open_occurrence(plan), now=datetime.datetime(2026, 6, 12, 9, tzinfo=datetime.UTC)
    )
    assert open_occurrence(plan).scheduled_date == D(2026, 6, 22)


@pytest.mark.django_db
@pytest.mark.parametrize("time_zone", ["UTC", "Pacific/Auckland"])
def test_completion_anchor_counts_from_the_completions_local_date(settings, time_zone):
    settings.TIME_ZONE = time_zone
    plan = MaintenancePlanFactory(anchor=PlanAnchor.COMPLETION, starts_on=D(2026, 6, 1))
    # 2026-01-31 13:00 UTC is already Feb 1 in Auckland.
    done = datetime.datetime(2026, 1, 31, 13, tzinfo=datetime.UTC)
    complete_maintenance(maintenance=open_occurrence(plan), now=done)

    expected = D(2026, 4, 30) if time_zone == "UTC" else D(2026, 5, 1)
    assert open_occurrence(plan).scheduled_date == expected


@pytest.mark.django_db
def test_completion_anchor_after_a_cancellation_is_today_plus_the_interval():
    plan = MaintenancePlanFactory(
        anchor=PlanAnchor.COMPLETION, starts_on=D(2026, 1, 1), interval=1, interval_unit=IntervalUnit.MONTH
    )
    occurrence = open_occurrence(plan)
    occurrence.status = MaintenanceStatus.CANCELLED
    occurrence.save()
    assert open_occurrence(plan).scheduled_date == D(2026, 7, 15)


@pytest.mark.django_db
def test_cancelling_a_scheduled_occurrence_plans_the_next_date():
    plan = monthly_plan()
    occurrence = open_occurrence(plan)
    occurrence.status = MaintenanceStatus.CANCELLED
    occurrence.save()
    assert open_occurrence(plan).scheduled_date == D(2026, 7, 31)


@pytest.mark.django_db
def test_nothing_is_planned_after_the_end_date():
    plan = monthly_plan(ends_on=D(2026, 7, 15))
    complete_maintenance(maintenance=open_occurrence(plan))
    assert not plan.occurrences.filter(status__in=OPEN).exists()
    assert plan.occurrences.count() == 1


@pytest.mark.django_db
def test_completing_a_done_occurrence_again_plans_nothing_more():
    plan = monthly_plan()
    occurrence = open_occurrence(plan)
    complete_maintenance(maintenance=occurrence)
    complete_maintenance(maintenance=occurrence)
    occurrence.save()
    assert plan.occurrences.count() == 2


@pytest.mark.django_db
def test_in_progress_is_not_closing():
    plan = monthly_plan()
    occurrence = open_occurrence(plan)
    occurrence.status = MaintenanceStatus.IN_PROGRESS
    occurrence.save()
    assert plan.occurrences.count() == 1


@pytest.mark.django_db
def test_an_occurrence_of_an_inactive_plan_or_retired_asset_plans_nothing():
    plan = monthly_plan()
    occurrence = open_occurrence(plan)
    occurrence.status = MaintenanceStatus.IN_PROGRESS
    occurrence.save()
    deactivate_plans(plans=MaintenancePlan.objects.filter(pk=plan.pk))
    complete_maintenance(maintenance=occurrence)
    assert plan.occurrences.count() == 1


def _close_by_orm(occurrence, client):
    occurrence.status = MaintenanceStatus.DONE
    occurrence.save()


def _cancel_by_orm(occurrence, client):
    occurrence.status = MaintenanceStatus.CANCELLED
    occurrence.save(update_fields=["status"])


def _complete_service(occurrence, client):
    complete_maintenance(maintenance=occurrence)


def _api_patch(occurrence, client):
    response = client.patch(f"/api/maintenances/{occurrence.pk}", {"status": "DONE"}, format="json")
    assert response.status_code == 200, response.content


def _api_complete(occurrence, client):
    response = client.post(f"/api/maintenances/{occurrence.pk}/complete")
    assert response.status_code == 200, response.content


def _admin_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _admin_form(occurrence, client):
    response = _admin_client(client.user).post(
        reverse("admin:maintenance_maintenance_change", args=[occurrence.pk]),
        {
            "asset": occurrence.asset_id,
            "title": occurrence.title,
            "description": occurrence.description,
            "kind": occurrence.kind,
            "status": MaintenanceStatus.DONE,
            "scheduled_date": occurrence.scheduled_date.isoformat(),
            "completed_at_0": "",
            "completed_at_1": "",
            "assigned_to": "",
            "plan": occurrence.plan_id,
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors


def _admin_action(occurrence, client):
    response = _admin_client(client.user).post(
        reverse("admin:maintenance_maintenance_changelist"),
        {"action": "mark_done", "_selected_action": [occurrence.pk]},
    )
    assert response.status_code == 302


CLOSING_PATHS = [
    _close_by_orm,
    _cancel_by_orm,
    _complete_service,
    _api_patch,
    _api_complete,
    _admin_form,
    _admin_action,
]


@pytest.mark.django_db
@pytest.mark.parametrize("close", CLOSING_PATHS, ids=lambda f: f.__name__.lstrip("_"))
def test_every_closing_path_plans_exactly_one_next_occurrence(close, manager_client):
    plan = monthly_plan()
    occurrence = open_occurrence(plan)

    close(occurrence, manager_client)

    occurrence.refresh_from_db()
    assert occurrence.status in (MaintenanceStatus.DONE, MaintenanceStatus.CANCELLED)
    assert (occurrence.completed_at is not None) == (occurrence.status == MaintenanceStatus.DONE)
    assert plan.occurrences.count() == 2
    assert open_occurrence(plan).scheduled_date == D(2026, 7, 31)


@pytest.mark.django_db
def test_a_failed_close_plans_nothing(monkeypatch):
    """The next occurrence is in the closing transaction: both or neither."""
    plan = monthly_plan()
    occurrence = open_occurrence(plan)
    with pytest.raises(RuntimeError), transaction.atomic():
        complete_maintenance(maintenance=occurrence)
        raise RuntimeError("the request failed after the service")
    assert plan.occurrences.count() == 1
    assert open_occurrence(plan).pk == occurrence.pk


@pytest.mark.django_db
def test_the_plans_alerts_follow_from_the_rules(django_capture_on_commit_callbacks):
    """An overdue occurrence raises OVERDUE; once done, the next one (due in 3 days) raises DUE_SOON."""
    with django_capture_on_commit_callbacks(execute=True):
        plan = MaintenancePlanFactory(interval=1, interval_unit=IntervalUnit.MONTH, starts_on=D(2026, 5, 18))
    occurrence = open_occurrence(plan)
    assert occurrence.scheduled_date == D(2026, 6, 18)
    assert Alert.objects.filter(
        is_active=True, maintenance=occurrence, kind=AlertKind.MAINTENANCE_DUE_SOON
    ).exists()

    with django_capture_on_commit_callbacks(execute=True):
        complete_maintenance(maintenance=occurrence)

    following = open_occurrence(plan)
    assert following.scheduled_date == D(2026, 7, 18)
    assert not Alert.objects.filter(is_active=True, maintenance=occurrence).exists()
    assert not Alert.objects.filter(is_active=True, maintenance=following).exists()  # a month ahead


# --- Deactivation, reactivation, deletion ----------------------------------------------------------


@pytest.mark.django_db
def test_deactivating_removes_the_planned_occurrence_and_reactivating_plans_the_first_again():
    plan = monthly_plan()
    complete_maintenance(maintenance=open_occurrence(plan))
    assert deactivate_plans(plans=MaintenancePlan.objects.filter(pk=plan.pk)) == 1
    assert list(plan.occurrences.values_list("status", flat=True)) == [MaintenanceStatus.DONE]

    with time_machine.travel(datetime.datetime(2026, 9, 2, 12, tzinfo=datetime.UTC), tick=False):
        plan.refresh_from_db()
        plan.is_active = True
        plan.save()

    assert open_occurrence(plan).scheduled_date == D(2026, 9, 30)


@pytest.mark.django_db
def test_deactivating_keeps_work_in_progress():
    plan = monthly_plan()
    occurrence = open_occurrence(plan)
    occurrence.status = MaintenanceStatus.IN_PROGRESS
    occurrence.save()
    plan.is_active = False
    plan.save()
    assert open_occurrence(plan).pk == occurrence.pk


@pytest.mark.django_db
def test_deleting_a_plan_keeps_its_history_and_removes_its_open_occurrence():
    plan = monthly_plan()
    done = open_occurrence(plan)
    complete_maintenance(maintenance=done)
    upcoming = open_occurrence(plan)

    plan.delete()

    assert not MaintenancePlan.objects.exists()
    assert not Maintenance.objects.filter(pk=upcoming.pk).exists()
    done.refresh_from_db()
    assert done.plan is None
    assert done.status == MaintenanceStatus.DONE


@pytest.mark.django_db
def test_the_database_refuses_a_second_open_occurrence():
    from django.db import IntegrityError

    plan = monthly_plan()
    with pytest.raises(IntegrityError), transaction.atomic():
        MaintenanceFactory(asset=plan.asset, plan=plan)


# --- The periodic safety net -----------------------------------------------------------------------


def _plans_missing_their_occurrence(count: int) -> list[MaintenancePlan]:
    plans = [monthly_plan() for _ in range(count)]
    Maintenance.objects.filter(plan__in=plans).delete()
    return plans


@pytest.mark.django_db
def test_the_safety_net_gives_every_active_plan_its_open_occurrence():
    plans = _plans_missing_their_occurrence(3)
    inactive = MaintenancePlanFactory(is_active=False)
    retired = monthly_plan(asset=AssetFactory())
    retired.asset.status = AssetStatus.RETIRED
    retired.asset.save()
    Maintenance.objects.filter(plan=retired).delete()

    assert ensure_plan_occurrences() == 3
    for plan in plans:
        assert open_occurrence(plan).scheduled_date == D(2026, 6, 30)
    assert not inactive.occurrences.exists()
    assert not retired.occurrences.exists()
    assert ensure_plan_occurrences() == 0


@pytest.mark.django_db
def test_the_safety_net_follows_the_last_occurrence():
    plan = monthly_plan()
    occurrence = open_occurrence(plan)
    occurrence.scheduled_date = D(2026, 3, 31)
    occurrence.save()
    complete_maintenance(maintenance=occurrence)
    Maintenance.objects.filter(plan=plan, status__in=OPEN).delete()

    ensure_plan_occurrences()

    following = open_occurrence(plan)
    assert following.scheduled_date == D(2026, 6, 30)
    assert "2 occurrences skipped" in following.description


@pytest.mark.django_db
def test_the_safety_net_runs_in_constant_queries():
    def queries(count: int) -> int:
        _plans_missing_their_occurrence(count)
        with CaptureQueriesContext(connections["default"]) as captured:
            assert ensure_plan_occurrences() == count
        Maintenance.objects.all().delete()
        MaintenancePlan.objects.all().delete()
        return len(captured.captured_queries)

    assert queries(3) == queries(30)


@pytest.mark.django_db
def test_the_periodic_generation_plans_what_was_missed_and_raises_its_alerts():
    plan = MaintenancePlanFactory(interval=1, interval_unit=IntervalUnit.MONTH, starts_on=D(2026, 5, 17))
    Maintenance.objects.filter(plan=plan).delete()

    call_command("generate_alerts", "--trigger", "cron", stdout=open("/dev/null", "w"))  # noqa: SIM115

    occurrence = open_occurrence(plan)
    assert occurrence.scheduled_date == D(2026, 6, 17)
    assert Alert.objects.filter(
        is_active=True, maintenance=occurrence, kind=AlertKind.MAINTENANCE_DUE_SOON
    ).exists()


@pytest.mark.django_db
def test_a_scoped_or_dry_run_does_not_plan(capsys):
    plan = MaintenancePlanFactory()
    Maintenance.objects.filter(plan=plan).delete()

    call_command("generate_alerts", "--dry-run")
    call_command("generate_alerts", "--asset", str(plan.asset_id))

    assert not plan.occurrences.exists()


# --- Concurrency (PostgreSQL) ----------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("how", ["complete", "save"])
def test_two_completions_at_once_plan_one_next_occurrence(how):
    """The second waits for the first's row lock, then finds it done: one next, no error."""
    plan = monthly_plan()
    occurrence_id = open_occurrence(plan).pk
    first_done = threading.Event()
    errors: list[BaseException] = []

    def close(occurrence):
        if how == "complete":
            complete_maintenance(maintenance=occurrence)
        else:
            occurrence.status = MaintenanceStatus.DONE
            occurrence.save()

    def first():
        try:
            with transaction.atomic():
                close(Maintenance.objects.get(pk=occurrence_id))
                first_done.set()
                # Hold the transaction open while the second one tries.
                threading.Event().wait(0.5)
        except BaseException as error:
            errors.append(error)
            first_done.set()
        finally:
            connections.close_all()

    def second():
        try:
            stale = Maintenance.objects.get(pk=occurrence_id)  # still PLANNED as it reads it
            first_done.wait(5)
            close(stale)
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)

    assert errors == []
    assert plan.occurrences.count() == 2
    assert plan.occurrences.filter(status__in=OPEN).count() == 1
