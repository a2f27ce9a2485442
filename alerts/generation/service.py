"""The one generation of DESIGN §4: called by the command, the API, the admin and the on-commit refresh.

`generate_alerts` takes the locks (`locks`), merges the rules' output into
the alert table and writes the events of every change (`merge`), ends the
acknowledgements and snoozes that lapsed (DESIGN §11), enqueues the notices
of every event it wrote (§12) and records the run, all in one transaction;
a successful full run then pings the heartbeat (§15).
"""

import datetime
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import DatabaseError, connection, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from alerts.choices import EventKind, RunStatus, RunTrigger
from alerts.generation import faults, locks
from alerts.generation.events import events_after
from alerts.generation.merge import CHANGES, MergeOutcome, merge_desired_alerts
from alerts.heartbeat import send_heartbeat
from alerts.models import Alert, AlertEvent, GenerationRun

logger = logging.getLogger(__name__)

ABANDONED_ERROR = "abandoned: the process ended before finishing"


def counts_summary(
    *, created: int, updated: int, resolved: int, unchanged: int, duration_ms: int | None
) -> str:
    """`3 created, 1 updated, 0 resolved, 12 unchanged in 40 ms`: how every surface reports a run."""
    return _(
        "%(created)d created, %(updated)d updated, %(resolved)d resolved, "
        "%(unchanged)d unchanged in %(ms)d ms"
    ) % {
        "created": created,
        "updated": updated,
        "resolved": resolved,
        "unchanged": unchanged,
        "ms": duration_ms or 0,
    }


@dataclass(frozen=True)
class GenerationResult:
    """What one generation did (or, for a dry run, would do).

    `events` are the events it wrote (empty for a dry run or a skipped run):
    what follows a generation starts from them, never from a rescan.
    """

    status: str
    created: int = 0
    updated: int = 0
    resolved: int = 0
    unchanged: int = 0
    duration_ms: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    dry_run: bool = False
    error: str = ""
    run: GenerationRun | None = None
    events: QuerySet[AlertEvent] = field(default_factory=AlertEvent.objects.none, compare=False, repr=False)

    def summary(self) -> str:
        return counts_summary(
            created=self.created,
            updated=self.updated,
            resolved=self.resolved,
            unchanged=self.unchanged,
            duration_ms=self.duration_ms,
        )

    def as_dict(self) -> dict:
        return {
            "status": self.status,
            "created": self.created,
            "updated": self.updated,
            "resolved": self.resolved,
            "unchanged": self.unchanged,
            "duration_ms": self.duration_ms,
            "by_kind": self.by_kind,
            "dry_run": self.dry_run,
            "error": self.error,
            "run": self.run.pk if self.run else None,
        }


class GenerationFailed(Exception):
    """A generation failed; the alerts are as they were before it."""

    def __init__(self, result: GenerationResult):
        super().__init__(result.error)
        self.result = result


def generate_alerts(
    *,
    trigger: str = RunTrigger.CLI,
    now: datetime.datetime | None = None,
    asset_ids: Iterable[int] | None = None,
    dry_run: bool = False,
    record_run: bool = True,
    wait: bool = False,
) -> GenerationResult:
    """Bring the active alerts in line with the rules, in one transaction.

    `asset_ids` limits the work to those assets (the instant refresh).
    `dry_run` computes the same counts and writes nothing. With `wait`, a
    generation already in progress is waited for; otherwise this one is
    recorded SKIPPED. Raises `GenerationFailed` after recording the failure.
    """
    now = now or timezone.now()
    scope = sorted(set(asset_ids)) if asset_ids is not None else None
    started = time.monotonic()
    run = None
    if record_run and not dry_run:
        run = GenerationRun.objects.create(trigger=trigger, status=RunStatus.RUNNING, started_at=now)

    def elapsed_ms() -> int:
        return round((time.monotonic() - started) * 1000)

    try:
        with locks.sqlite_generation_lock(wait=wait) as free, transaction.atomic():
            if not (free and locks.acquire_generation_lock(wait=wait)):
                result = GenerationResult(status=RunStatus.SKIPPED, duration_ms=elapsed_ms(), run=run)
                _finish_run(run, result, now)
                logger.warning("Generation skipped: another generation is in progress.")
                return result
            if scope is None and run is not None:
                _fail_abandoned_runs(before=run)
            faults.checkpoint(faults.RULES)
            outcome = merge_desired_alerts(now=now, asset_ids=scope, run_id=run.pk if run else None)
            faults.checkpoint(faults.MERGED)
            created = outcome.count(EventKind.CREATED)
            updated = outcome.count(*(kind for kind, _ in CHANGES))
            result = GenerationResult(
                status=RunStatus.SUCCESS,
                created=created,
                updated=updated,
                resolved=outcome.count(EventKind.RESOLVED),
                unchanged=sum(outcome.by_kind.values()) - created - updated,
                duration_ms=elapsed_ms(),
                by_kind=outcome.by_kind,
                dry_run=dry_run,
                run=run,
                events=AlertEvent.objects.none()
                if dry_run
                else events_after(outcome.event_bound, at=now, run=run, actor=None),
            )
            if dry_run:
                transaction.set_rollback(True)
            else:
                # Post-merge step: what follows the merge commits or rolls back with the alerts.
                _after_merge(outcome, result, now=now, full=scope is None)
                # Recorded in the same transaction as the alerts it describes.
                faults.checkpoint(faults.RECORDED)
                _finish_run(run, result, now)
    except Exception as exc:
        result = GenerationResult(
            status=RunStatus.FAILED, duration_ms=elapsed_ms(), run=run, error=f"{type(exc).__name__}: {exc}"
        )
        _record_failure(run, result, now)
        logger.error("Generation failed (trigger %s): %s", trigger, result.error, exc_info=exc)
        raise GenerationFailed(result) from exc

    log = logger.debug if scope is not None and not record_run else logger.info
    log(
        "Generation %sfinished: %s%s",
        "dry run " if dry_run else "",
        result.summary(),
        f" (assets {scope})" if scope is not None else "",
    )
    if scope is None and not dry_run:
        # The dead man's switch (DESIGN §15), after the commit: it never fails the run.
        send_heartbeat()
    return result


def _after_merge(
    outcome: MergeOutcome, result: GenerationResult, *, now: datetime.datetime, full: bool
) -> None:
    """The lapses of DESIGN §11, then the notices of every event the generation wrote (§12.1).

    Set-based, a constant number of statements whatever the number of
    alerts and subscriptions. `result.events` is lazy: it includes the
    lapses' events, written with the same `at` and run.
    """
    # Imported here: the actions and the notifications import the alert
    # services, which import this module.
    from alerts.actions import lapse_acknowledgements_and_snoozes, lapse_on_escalation
    from alerts.notifications.services import enqueue_notifications

    if outcome.count(EventKind.ESCALATED):
        # A priority increase ends the acknowledgement and the snooze (note `escalated`).
        escalated = result.events.filter(kind=EventKind.ESCALATED).values("alert_id")
        lapse_on_escalation(alert_ids=Alert.objects.filter(pk__in=escalated), now=now, run=result.run)
    if full:
        # The periodic lapses: acknowledgements timed out, snoozes expired.
        lapse_acknowledgements_and_snoozes(now=now, run=result.run)
    enqueue_notifications(events=result.events, now=now)


def refresh_asset_alerts(asset_ids: Iterable[int]) -> GenerationResult | None:
    """Refresh the alerts of a few assets at once (after a save or delete).

    A failure is logged, never raised: the change that triggered the refresh
    is already committed, and the periodic run will catch up.
    """
    try:
        return generate_alerts(asset_ids=asset_ids, record_run=False, wait=True)
    except GenerationFailed:
        return None


def _fail_abandoned_runs(*, before: GenerationRun) -> None:
    """Record FAILED the runs older than `before` still RUNNING (DESIGN §10).

    This run holds the generation lock, which every full run takes before its
    work and the database releases when a process dies: an older run still
    RUNNING cannot be alive. (One that just failed to take the lock records
    SKIPPED itself a moment later.)
    """
    abandoned = GenerationRun.objects.filter(status=RunStatus.RUNNING, pk__lt=before.pk).update(
        status=RunStatus.FAILED, error=ABANDONED_ERROR
    )
    if abandoned:
        logger.warning("Recorded %d abandoned generation run(s) as failed.", abandoned)


def _finish_run(run: GenerationRun | None, result: GenerationResult, now: datetime.datetime) -> None:
    if run is None:
        return
    run.status = result.status
    run.finished_at = now + datetime.timedelta(milliseconds=result.duration_ms)
    run.duration_ms = result.duration_ms
    run.created, run.updated = result.created, result.updated
    run.resolved, run.unchanged = result.resolved, result.unchanged
    run.error = result.error
    run.save()


def _record_failure(run: GenerationRun | None, result: GenerationResult, now: datetime.datetime) -> None:
    """Write the FAILED run outside the rolled-back transaction.

    If the failure broke the connection (a killed backend), reconnect once so
    the failure is still on record.
    """
    if run is None:
        return
    try:
        _finish_run(run, result, now)
    except DatabaseError:
        if connection.in_atomic_block:
            logger.exception("Could not record the failed generation run %s.", run.pk)
            return
        connection.close()
        try:
            _finish_run(run, result, now)
        except DatabaseError:
            logger.exception("Could not record the failed generation run %s.", run.pk)
