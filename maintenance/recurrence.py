"""Dates of a plan's occurrences (DESIGN §13), computed with python-dateutil.

A fixed schedule's n-th date is always `starts_on + n × interval`, computed
from `starts_on` so month ends do not drift: Jan 31 → Feb 28 (29) → Mar 31.
"""

import datetime
from dataclasses import dataclass, field

from dateutil.relativedelta import relativedelta

from maintenance.choices import IntervalUnit, PlanAnchor

_UNITS = {
    IntervalUnit.DAY: "days",
    IntervalUnit.WEEK: "weeks",
    IntervalUnit.MONTH: "months",
    IntervalUnit.YEAR: "years",
}
# The skipped dates named in an occurrence's description; more are counted only.
NAMED_SKIPPED_DATES = 5


@dataclass(frozen=True)
class Due:
    """When the next occurrence is due, and the schedule's dates it skipped."""

    date: datetime.date
    skipped: int = 0
    skipped_dates: list[datetime.date] = field(default_factory=list)


@dataclass(frozen=True)
class Schedule:
    """The recurrence of a plan: its anchor, interval, start and optional end."""

    anchor: str
    interval: int
    interval_unit: str
    starts_on: datetime.date
    ends_on: datetime.date | None = None

    def step(self, count: int = 1) -> relativedelta:
        return relativedelta(**{_UNITS[self.interval_unit]: self.interval * count})

    def nth(self, n: int) -> datetime.date | None:
        """The fixed schedule's n-th date (0 is `starts_on`); None past the calendar's end."""
        try:
            return self.starts_on + self.step(n)
        except (OverflowError, ValueError):
            return None

    def first(self, *, today: datetime.date) -> Due | None:
        """The first occurrence of a new (or reactivated) plan."""
        if self.anchor == PlanAnchor.COMPLETION:
            return self._within(Due(max(self.starts_on, today)))
        n = self._index_on_or_after(today)
        return self._within(Due(self.nth(n))) if n is not None else None

    def after_schedule(self, *, closed_on: datetime.date, today: datetime.date) -> Due | None:
        """Fixed schedule: the first date after the closed one's and not before today."""
        after = self._index_on_or_after(closed_on + datetime.timedelta(days=1))
        if after is None:
            return None
        n = self._index_on_or_after(today)
        if n is None:
            return None
        n = max(n, after)
        skipped = n - after
        named = [self.nth(i) for i in range(after, after + min(skipped, NAMED_SKIPPED_DATES))]
        return self._within(Due(self.nth(n), skipped, named))

    def after_completion(self, *, done_on: datetime.date) -> Due | None:
        """From the last completion (or, after a cancellation, today): one interval later."""
        try:
            return self._within(Due(done_on + self.step()))
        except (OverflowError, ValueError):
            return None

    def _within(self, due: Due) -> Due | None:
        if self.ends_on is not None and due.date > self.ends_on:
            return None
        return due

    def _index_on_or_after(self, day: datetime.date) -> int | None:
        """The smallest n whose date is on or after `day`."""
        if day <= self.starts_on:
            return 0
        if self.interval_unit in (IntervalUnit.DAY, IntervalUnit.WEEK):
            days = self.interval * (7 if self.interval_unit == IntervalUnit.WEEK else 1)
            n = -(-(day - self.starts_on).days // days)
        else:
            months = self.interval * (12 if self.interval_unit == IntervalUnit.YEAR else 1)
            elapsed = (day.year - self.starts_on.year) * 12 + day.month - self.starts_on.month
            # An estimate from whole months, at most one step short: moved up to the first date.
            n = max(elapsed // months - 1, 0)
            while (date := self.nth(n)) is not None and date < day:
                n += 1
        return n if self.nth(n) is not None else None
