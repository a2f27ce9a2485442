"""Dates of a plan's occurrences (DESIGN §13): month ends, leap years, skipped dates, the end date."""

import datetime

import pytest

from maintenance.choices import IntervalUnit, PlanAnchor
from maintenance.recurrence import Schedule

D = datetime.date


def schedule(unit=IntervalUnit.MONTH, interval=1, starts_on=D(2024, 1, 31), anchor=PlanAnchor.SCHEDULE, **kw):
    return Schedule(anchor=anchor, interval=interval, interval_unit=unit, starts_on=starts_on, **kw)


def test_month_ends_never_drift_in_a_leap_year():
    plan = schedule()
    assert [plan.nth(n) for n in range(5)] == [
        D(2024, 1, 31),
        D(2024, 2, 29),
        D(2024, 3, 31),
        D(2024, 4, 30),
        D(2024, 5, 31),
    ]


def test_month_ends_never_drift_in_a_common_year():
    plan = schedule(starts_on=D(2025, 1, 31))
    assert [plan.nth(n) for n in range(3)] == [D(2025, 1, 31), D(2025, 2, 28), D(2025, 3, 31)]


def test_a_yearly_plan_from_february_29():
    plan = schedule(unit=IntervalUnit.YEAR, starts_on=D(2024, 2, 29))
    assert [plan.nth(n) for n in range(5)] == [
        D(2024, 2, 29),
        D(2025, 2, 28),
        D(2026, 2, 28),
        D(2027, 2, 28),
        D(2028, 2, 29),
    ]


@pytest.mark.parametrize(
    ("unit", "interval", "today", "expected"),
    [
        (IntervalUnit.MONTH, 1, D(2024, 1, 1), D(2024, 1, 31)),  # starts_on ahead: starts_on itself
        (IntervalUnit.MONTH, 1, D(2024, 1, 31), D(2024, 1, 31)),  # today counts
        (IntervalUnit.MONTH, 1, D(2024, 3, 1), D(2024, 3, 31)),  # Feb 29 has passed
        (IntervalUnit.MONTH, 3, D(2024, 5, 1), D(2024, 7, 31)),
        (IntervalUnit.DAY, 10, D(2024, 2, 1), D(2024, 2, 10)),
        (IntervalUnit.WEEK, 2, D(2024, 2, 14), D(2024, 2, 14)),
        (IntervalUnit.YEAR, 1, D(2030, 2, 1), D(2031, 1, 31)),
    ],
)
def test_schedule_first_occurrence_is_the_first_date_on_or_after_today(unit, interval, today, expected):
    assert schedule(unit=unit, interval=interval).first(today=today).date == expected


def test_schedule_next_is_the_date_after_the_closed_one():
    due = schedule().after_schedule(closed_on=D(2024, 1, 31), today=D(2024, 2, 10))
    assert (due.date, due.skipped) == (D(2024, 2, 29), 0)


def test_a_late_completion_skips_the_dates_that_passed_and_names_them():
    due = schedule().after_schedule(closed_on=D(2024, 1, 31), today=D(2024, 4, 15))
    assert due.date == D(2024, 4, 30)
    assert due.skipped == 2
    assert due.skipped_dates == [D(2024, 2, 29), D(2024, 3, 31)]


def test_an_early_completion_keeps_the_next_date_of_the_schedule():
    due = schedule().after_schedule(closed_on=D(2024, 2, 29), today=D(2024, 2, 1))
    assert (due.date, due.skipped) == (D(2024, 3, 31), 0)


def test_completion_anchor_first_is_starts_on_or_today():
    plan = schedule(anchor=PlanAnchor.COMPLETION, starts_on=D(2024, 3, 10))
    assert plan.first(today=D(2024, 3, 1)).date == D(2024, 3, 10)
    assert plan.first(today=D(2024, 5, 2)).date == D(2024, 5, 2)


@pytest.mark.parametrize(
    ("done_on", "expected"),
    [(D(2024, 1, 31), D(2024, 2, 29)), (D(2023, 1, 31), D(2023, 2, 28)), (D(2024, 2, 29), D(2024, 3, 29))],
)
def test_completion_anchor_next_is_one_interval_after_the_completion(done_on, expected):
    assert schedule(anchor=PlanAnchor.COMPLETION).after_completion(done_on=done_on).date == expected


def test_nothing_after_the_end_date():
    plan = schedule(ends_on=D(2024, 3, 31))
    assert plan.after_schedule(closed_on=D(2024, 2, 29), today=D(2024, 3, 1)).date == D(2024, 3, 31)
    assert plan.after_schedule(closed_on=D(2024, 3, 31), today=D(2024, 3, 1)) is None
    assert plan.first(today=D(2024, 4, 1)) is None
    completion = schedule(anchor=PlanAnchor.COMPLETION, ends_on=D(2024, 3, 31))
    assert completion.after_completion(done_on=D(2024, 3, 1)) is None


def test_the_end_of_the_calendar_plans_nothing():
    plan = schedule(unit=IntervalUnit.YEAR, interval=100, starts_on=D(9950, 1, 1))
    assert plan.after_schedule(closed_on=D(9950, 1, 1), today=D(9951, 1, 1)) is None
