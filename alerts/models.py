"""Alerts, the history of their generation, and notifications (subscriptions and the outbox)."""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from alerts.choices import (
    AlertKind,
    Channel,
    EventKind,
    NotificationKind,
    NotificationStatus,
    Priority,
    RunStatus,
    RunTrigger,
    SubscriptionMode,
    WebhookFormat,
)

# Most urgent first. NULLS LAST puts asset alerts (no due date) after dated
# ones of the same priority on every database (SQLite sorts NULLs first by
# default), and matches alert_active_urgency_idx on PostgreSQL.
URGENCY_ORDER = ("-priority_rank", F("due_date").asc(nulls_last=True), "id")


class Alert(models.Model):
    kind = models.CharField(_("kind"), max_length=30, choices=AlertKind.choices)
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices)
    # 1 (LOW) … 4 (CRITICAL): lets the database sort by urgency with an index.
    priority_rank = models.PositiveSmallIntegerField(_("priority rank"), editable=False)
    # No index of its own: alert_asset_active_idx (asset, is_active) serves the
    # lookups by asset, and every index costs each generation's inserts.
    asset = models.ForeignKey(
        "assets.Asset",
        on_delete=models.CASCADE,
        related_name="alerts",
        verbose_name=_("asset"),
        db_index=False,
    )
    maintenance = models.ForeignKey(
        "maintenance.Maintenance",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="alerts",
        verbose_name=_("maintenance"),
    )
    title = models.CharField(_("title"), max_length=255)
    message = models.TextField(_("message"))
    due_date = models.DateField(_("due date"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    is_read = models.BooleanField(_("read"), default=False)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    read_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("read by"),
        # Indexed only where set (alert_read_by_idx): new alerts are unread.
        db_index=False,
    )
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    # People on alerts (DESIGN §11). The assignee follows the work: the
    # maintenance's assigned_to, or the asset's owner for asset alerts.
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_alerts",
        verbose_name=_("assignee"),
        db_index=False,
    )
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("acknowledged by"),
        db_index=False,
    )
    snoozed_until = models.DateTimeField(_("snoozed until"), null=True, blank=True)
    snoozed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("snoozed by"),
        db_index=False,
    )
    snooze_reason = models.CharField(_("snooze reason"), max_length=255, blank=True, db_default="")

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        ordering = URGENCY_ORDER
        permissions = [("generate_alerts", _("Can run an alert generation"))]
        constraints = [
            # Identity (fingerprint) = (kind, asset, maintenance); NULL
            # maintenances are folded to 0 because NULLs never collide in a
            # unique index (and SQLite has no NULLS NOT DISTINCT).
            models.UniqueConstraint(
                "kind",
                "asset",
                Coalesce("maintenance", 0),
                condition=models.Q(is_active=True),
                name="alert_one_active_per_fingerprint",
            ),
        ]
        indexes = [
            # The dashboard's read: active alerts, most urgent first.
            models.Index(
                fields=["is_active", "-priority_rank", "due_date", "id"], name="alert_active_urgency_idx"
            ),
            models.Index(fields=["asset", "is_active"], name="alert_asset_active_idx"),
            # Deleting a user clears read_by; most alerts have none.
            models.Index(
                fields=["read_by"], condition=models.Q(read_by__isnull=False), name="alert_read_by_idx"
            ),
            # ?assignee=me, and clearing the user fields when a user is deleted;
            # indexed only where set, like read_by.
            models.Index(
                fields=["assignee", "is_active"],
                condition=models.Q(assignee__isnull=False),
                name="alert_assignee_idx",
            ),
            models.Index(
                fields=["acknowledged_by"],
                condition=models.Q(acknowledged_by__isnull=False),
                name="alert_ack_by_idx",
            ),
            models.Index(
                fields=["snoozed_by"],
                condition=models.Q(snoozed_by__isnull=False),
                name="alert_snoozed_by_idx",
            ),
            # The alerts' version (ETag, `alerts.selectors.alerts_version`) in a few index
            # lookups, whatever the number of alerts: the latest change and the next snooze to end.
            models.Index(fields=["updated_at"], name="alert_updated_idx"),
            models.Index(
                fields=["snoozed_until"],
                condition=models.Q(snoozed_until__isnull=False),
                name="alert_snoozed_until_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class AlertDeletions(models.Model):
    """One row: how many statements have deleted alerts, kept by a database trigger.

    Deleting alerts leaves nothing behind to compare (their events go with
    them), so the alerts' version counts deletions here. A trigger, not the
    code paths that delete (cascades from assets and maintenances, history
    pruning, the admin, a queryset's `delete()`): it sees them all, in the
    deleting transaction. Migration 0009 installs it.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    count = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("alert deletions")

    def __str__(self) -> str:
        return str(self.count)


class GenerationRun(models.Model):
    trigger = models.CharField(_("trigger"), max_length=10, choices=RunTrigger.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=RunStatus.choices, default=RunStatus.RUNNING
    )
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), null=True, blank=True)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    resolved = models.PositiveIntegerField(_("resolved"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("generation run")
        verbose_name_plural = _("generation runs")
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(fields=["-started_at"], name="run_started_idx"),
            models.Index(fields=["status", "-started_at"], name="run_status_started_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_trigger_display()} run {self.started_at:%Y-%m-%d %H:%M:%S} ({self.status})"


class AlertEvent(models.Model):
    """One change to an alert, append-only (DESIGN §10).

    Written in the transaction of the change: set-based by the generation
    (`run` set for full runs, null for the instant refresh), one row per human
    action (`actor` set).
    """

    alert = models.ForeignKey(
        Alert, on_delete=models.CASCADE, related_name="events", verbose_name=_("alert"), db_index=False
    )
    kind = models.CharField(_("kind"), max_length=20, choices=EventKind.choices)
    at = models.DateTimeField(_("at"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
        db_index=False,
    )
    run = models.ForeignKey(
        GenerationRun,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="events",
        verbose_name=_("run"),
        db_index=False,
    )
    # The alert's priority after the event.
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices)
    note = models.CharField(_("note"), max_length=255, blank=True, db_default="")

    class Meta:
        verbose_name = _("alert event")
        verbose_name_plural = _("alert events")
        ordering = ["at", "id"]
        indexes = [
            # An alert's timeline, oldest first.
            models.Index(fields=["alert", "at", "id"], name="event_alert_at_idx"),
            # Clearing run and actor on delete; most events have no actor, and
            # the instant refresh's have no run.
            models.Index(fields=["run"], condition=models.Q(run__isnull=False), name="event_run_idx"),
            models.Index(fields=["actor"], condition=models.Q(actor__isnull=False), name="event_actor_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.at:%Y-%m-%d %H:%M:%S}"


class Subscription(models.Model):
    """Who wants which alerts, how (DESIGN §12). Matching lives in `alerts.notifications.matching`."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="alert_subscriptions",
        verbose_name=_("user"),
    )
    name = models.CharField(_("name"), max_length=100)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    # An email address (default: the owner's) or the webhook URL.
    target = models.CharField(_("target"), max_length=500)
    format = models.CharField(
        _("format"), max_length=20, choices=WebhookFormat.choices, default=WebhookFormat.STANDARD
    )
    # Webhooks: "whsec_" + base64 of 32 random bytes, shown only on create and rotate.
    secret = models.CharField(_("secret"), max_length=100, blank=True)
    min_priority = models.CharField(
        _("minimum priority"), max_length=10, choices=Priority.choices, default=Priority.HIGH
    )
    # Alert kinds; empty means all.
    kinds = models.JSONField(_("kinds"), default=list, blank=True)
    assigned_to_me = models.BooleanField(_("only alerts assigned to me"), default=False)
    location = models.CharField(_("location contains"), max_length=200, blank=True)
    mode = models.CharField(
        _("mode"), max_length=10, choices=SubscriptionMode.choices, default=SubscriptionMode.IMMEDIATE
    )
    digest_at = models.TimeField(_("digest at"), default=datetime.time(7, 0))
    repeat_hours = models.PositiveIntegerField(_("repeat after (hours)"), default=24)
    send_resolved = models.BooleanField(_("send resolved"), default=False)
    quiet_from = models.TimeField(_("quiet from"), null=True, blank=True)
    quiet_until = models.TimeField(_("quiet until"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(quiet_from__isnull=True, quiet_until__isnull=True)
                | models.Q(quiet_from__isnull=False, quiet_until__isnull=False),
                name="subscription_quiet_hours_both_or_none",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Notification(models.Model):
    """One notice to one subscription: the outbox and the delivery log (DESIGN §12)."""

    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("subscription")
    )
    # Null for a digest or a test. Indexed by notification_alert_sub_idx.
    alert = models.ForeignKey(
        Alert,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
        verbose_name=_("alert"),
        db_index=False,
    )
    # Null for repeats, digests and tests.
    event = models.ForeignKey(
        AlertEvent,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
        verbose_name=_("event"),
        db_index=False,
    )
    kind = models.CharField(_("kind"), max_length=10, choices=NotificationKind.choices)
    # The unique key that makes every enqueue idempotent; also the webhook-id.
    dedup_key = models.CharField(_("deduplication key"), max_length=100, unique=True)
    status = models.CharField(
        _("status"), max_length=10, choices=NotificationStatus.choices, default=NotificationStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # When it is due (PENDING, FAILED); for DEAD, when delivery gave up.
    next_attempt_at = models.DateTimeField(_("next attempt at"))
    last_error = models.TextField(_("last error"), blank=True)
    response_status = models.PositiveSmallIntegerField(_("response status"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"))
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The sender's due rows, the outbox's health (pending, dead in the last 24 h).
            models.Index(fields=["status", "next_attempt_at"], name="notification_status_due_idx"),
            # Repeats look up the last notice per (subscription, alert); deleting an alert.
            models.Index(fields=["alert", "subscription"], name="notification_alert_sub_idx"),
            models.Index(
                fields=["event"], condition=models.Q(event__isnull=False), name="notification_event_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.dedup_key} ({self.status})"


class CalendarToken(models.Model):
    """The secret of a user's calendar feed (`GET /api/calendar.ics?token=…`, DESIGN §15).

    Calendar apps send no headers, so the feed's address carries this secret.
    It opens the feed and nothing else. It is kept readable (the user's
    `GET /api/me` shows the address again) and compared in constant time;
    rotating it replaces the secret, and the old address stops working.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="calendar_token",
        verbose_name=_("user"),
    )
    secret = models.CharField(_("secret"), max_length=64)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("calendar token")
        verbose_name_plural = _("calendar tokens")

    def __str__(self) -> str:
        return f"{self.user} ({self.created_at:%Y-%m-%d})"
