"""Representations of alerts, generation runs and generation results."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from alerts.choices import AlertKind, Priority
from alerts.models import Alert, AlertEvent, GenerationRun
from alertsite.api.serializers import ModelSerializer

# Exactly the alert object of DESIGN §5.
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
]


class AlertSerializer(ModelSerializer):
    asset_code = serializers.CharField(source="asset.code", read_only=True)
    asset_name = serializers.CharField(source="asset.name", read_only=True)

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


class MarkedSerializer(serializers.Serializer):
    marked = serializers.IntegerField(help_text="How many alerts changed.")
