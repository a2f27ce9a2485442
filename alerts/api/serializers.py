"""Representations of alerts, generation runs and generation results."""

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from alerts.choices import AlertKind, Priority
from alerts.models import Alert, AlertEvent, GenerationRun
from alerts.selectors import CURRENT_SNOOZE_REASON, CURRENT_SNOOZED_UNTIL
from alertsite.api.serializers import ModelSerializer

# Exactly the alert object of DESIGN §5, then the people on it (§11).
ALERT_FIELDS = [
    "id",
    "kind",
    "priority",
    "title",
    "message",
    "asset",
    "asset_code",
    "asset_name",
    "maintenance",
    "due_date",
    "is_active",
    "is_read",
    "read_at",
    "created_at",
    "updated_at",
    "resolved_at",
    "assignee",
    "assignee_username",
    "acknowledged_at",
    "acknowledged_by",
    "snoozed_until",
    "snooze_reason",
    "maintenance_title",
]


class _WhileSnoozed:
    """A snooze field shown only while the snooze holds (`snoozed_until` > now, DESIGN §11).

    Read from the annotation of `alerts.selectors.with_current_snooze` (lists
    and the one-row path); an alert loaded without it is checked here.
    """

    def get_attribute(self, instance):
        if hasattr(instance, self.source):
            return getattr(instance, self.source)
        holds = instance.snoozed_until is not None and instance.snoozed_until > timezone.now()
        return self.while_snoozed(instance) if holds else self.otherwise


class CurrentSnoozedUntilField(_WhileSnoozed, serializers.DateTimeField):
    otherwise = None

    @staticmethod
    def while_snoozed(instance):
        return instance.snoozed_until


class CurrentSnoozeReasonField(_WhileSnoozed, serializers.CharField):
    otherwise = ""

    @staticmethod
    def while_snoozed(instance):
        return instance.snooze_reason


class AlertSerializer(ModelSerializer):
    asset_code = serializers.CharField(source="asset.code", read_only=True)
    asset_name = serializers.CharField(source="asset.name", read_only=True)
    assignee_username = serializers.CharField(source="assignee.username", read_only=True, allow_null=True)
    snoozed_until = CurrentSnoozedUntilField(
        source=CURRENT_SNOOZED_UNTIL,
        read_only=True,
        allow_null=True,
        help_text="End of the snooze; null when the alert is not snoozed (or its snooze has passed).",
    )
    snooze_reason = CurrentSnoozeReasonField(
        source=CURRENT_SNOOZE_REASON, read_only=True, help_text="Why it was snoozed; empty when not snoozed."
    )
    maintenance_title = serializers.CharField(
        source="maintenance.title",
        read_only=True,
        allow_null=True,
        default=None,
        help_text="The maintenance's title; null for an alert about the asset itself.",
    )

    class Meta:
        model = Alert
        fields = ALERT_FIELDS
        read_only_fields = ALERT_FIELDS


class GenerationRunSerializer(ModelSerializer):
    class Meta:
        model = GenerationRun
        fields = [
            "id",
            "trigger",
            "status",
            "started_at",
            "finished_at",
            "duration_ms",
            "created",
            "updated",
            "resolved",
            "unchanged",
            "error",
        ]
        read_only_fields = fields


class AlertEventSerializer(serializers.ModelSerializer):
    """One entry of an alert's history (DESIGN §10)."""

    actor_username = serializers.CharField(
        source="actor.username", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = AlertEvent
        fields = ["id", "kind", "at", "actor", "actor_username", "run", "priority", "note"]
        read_only_fields = fields


class OutboxStatusSerializer(serializers.Serializer):
    pending = serializers.IntegerField(help_text="Notices waiting to be sent (PENDING or FAILED).")
    oldest_pending_seconds = serializers.IntegerField(help_text="How long the oldest due notice has waited.")
    dead_last_24h = serializers.IntegerField(help_text="Notices given up on in the last 24 hours.")
    degraded = serializers.BooleanField(help_text="A due notice has waited more than 10 minutes.")


class SchedulerStatusSerializer(serializers.Serializer):
    schedule = serializers.CharField(help_text="Cron schedule of the periodic generation (ALERTS_SCHEDULE).")
    installed = serializers.BooleanField(help_text="Whether this host's crontab holds the current job.")
    last_run = GenerationRunSerializer(
        allow_null=True, help_text="The most recent run, whatever its outcome."
    )
    last_success_at = serializers.DateTimeField(allow_null=True)
    next_run_at = serializers.DateTimeField(
        allow_null=True, help_text="Next start computed from the schedule."
    )
    stale = serializers.BooleanField(help_text="No successful generation for 3 scheduled runs.")
    outbox = OutboxStatusSerializer(help_text="The notifications' outbox (DESIGN §12).")


class GenerationResponseSerializer(serializers.Serializer):
    """`POST /api/alerts/generate`: the seed's first three keys, then the rest."""

    message = serializers.CharField(default=_("Alerts regenerated successfully."))
    alerts_created = serializers.IntegerField(source="created")
    alerts_updated = serializers.IntegerField(source="updated")
    alerts_resolved = serializers.IntegerField(source="resolved")
    alerts_unchanged = serializers.IntegerField(source="unchanged")
    run = serializers.IntegerField(source="run.pk", allow_null=True, help_text="Id of the recorded run.")
    duration_ms = serializers.IntegerField()


class GenerationErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    error = serializers.CharField(required=False)
    run = serializers.IntegerField(allow_null=True, help_text="Id of the recorded run.")


def _counters(name: str, keys: list[str]) -> type[serializers.Serializer]:
    return type(name, (serializers.Serializer,), {key: serializers.IntegerField() for key in keys})


class AlertStatsSerializer(serializers.Serializer):
    """Counters over active alerts (the seed's monitoring script)."""

    total = serializers.IntegerField()
    unread = serializers.IntegerField()
    critical = serializers.IntegerField()
    by_priority = _counters("AlertCountByPriority", Priority.values)()
    by_kind = _counters("AlertCountByKind", AlertKind.values)()
    acknowledged = serializers.IntegerField(help_text="Active alerts someone is on.")
    snoozed = serializers.IntegerField(help_text="Active alerts snoozed until a time still to come.")
    unassigned = serializers.IntegerField(help_text="Active alerts without an assignee.")


class AwareDateTimeField(serializers.DateTimeField):
    """An ISO 8601 date and time with its offset (`Z`, `+02:00`): a naive time is ambiguous."""

    default_error_messages = {
        "invalid": _("Enter an ISO 8601 date and time, e.g. 2026-06-15T12:00:00Z."),
        "naive": _("Give the time zone offset, e.g. 2026-06-15T12:00:00Z or 2026-06-15T14:00:00+02:00."),
    }

    def to_internal_value(self, value):
        try:
            parsed = parse_datetime(value) if isinstance(value, str) else None
        except ValueError:
            parsed = None
        if parsed is None:
            self.fail("invalid")
        if parsed.tzinfo is None:
            self.fail("naive")
        return parsed


class AcknowledgeSerializer(serializers.Serializer):
    note = serializers.CharField(
        max_length=255, required=False, help_text="What is being done (optional; not empty when given)."
    )


class SnoozeSerializer(serializers.Serializer):
    until = AwareDateTimeField(
        help_text="When the alert wakes: in the future, at most ALERTS_MAX_SNOOZE_DAYS (30) days ahead."
    )
    reason = serializers.CharField(
        max_length=255, required=False, help_text="Why not now (optional; not empty when given)."
    )


class HistoryQuerySerializer(serializers.Serializer):
    days = serializers.IntegerField(
        min_value=1, max_value=365, default=30, help_text="How many days, ending today (1 to 365)."
    )


class HistoryDaySerializer(serializers.Serializer):
    date = serializers.DateField(help_text="A local day of the site's time zone.")
    total = serializers.IntegerField(help_text="Alerts active at the end of that day (now, for today).")
    by_priority = _counters("HistoryCountByPriority", Priority.values)(
        help_text="The same, by the alerts' current priority."
    )


class MarkedSerializer(serializers.Serializer):
    marked = serializers.IntegerField(help_text="How many alerts changed.")
