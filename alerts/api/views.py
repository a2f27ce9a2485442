"""Alerts: the dashboard's list, read state, people on alerts, generation, stats and run history."""

from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from alerts import actions, services
from alerts.api.serializers import (
    ALERT_FIELDS,
    AcknowledgeSerializer,
    AlertEventSerializer,
    AlertSerializer,
    AlertStatsSerializer,
    GenerationErrorSerializer,
    GenerationResponseSerializer,
    GenerationRunSerializer,
    HistoryDaySerializer,
    HistoryQuerySerializer,
    MarkedSerializer,
    SchedulerStatusSerializer,
    SnoozeSerializer,
)
from alerts.choices import RunStatus, RunTrigger
from alerts.filtersets import AlertFilterSet, GenerationRunFilterSet
from alerts.models import URGENCY_ORDER, Alert, AlertEvent, GenerationRun
from alerts.scheduling import CRONTAB_STATE_MAX_AGE, scheduler_status
from alerts.selectors import active_history, alert_stats, alerts_version, with_current_snooze
from alertsite.api.conditional import ConditionalAlertsMixin
from alertsite.api.filters import MAX_ID
from alertsite.api.schema import ErrorSerializer
from alertsite.api.serializers import RowSerializer
from alertsite.api.views import ReadOnlyModelViewSet

# Model columns of the alert object; the others are joined (asset, assignee,
# maintenance) or annotated (the snooze, see `with_current_snooze`).
ALERT_COLUMNS = [
    name
    for name in ALERT_FIELDS
    if name
    not in (
        "asset_code",
        "asset_name",
        "assignee_username",
        "snoozed_until",
        "snooze_reason",
        "maintenance_title",
    )
]
RECENT_RUNS = 50


def _person_action(summary: str, description: str, request=None) -> dict:
    """The schema of an action on one alert by a person (DESIGN §11): every answer it gives."""
    return {
        "summary": summary,
        "description": description,
        "request": request,
        "responses": {
            200: AlertSerializer,
            409: OpenApiResponse(ErrorSerializer, description="The alert is resolved."),
        },
    }


@extend_schema_view(
    list=extend_schema(
        summary="List alerts",
        description=(
            "Active alerts, most urgent first (priority, then due date): a JSON array, or a page "
            "`{count, next, previous, results}` when `limit` or `offset` is given. "
            "`is_active=false` or `all` gives the history."
        ),
    ),
    retrieve=extend_schema(summary="One alert (active or resolved)"),
)
class AlertViewSet(ConditionalAlertsMixin, ReadOnlyModelViewSet):
    queryset = (
        Alert.objects.select_related("asset", "assignee", "maintenance")
        .only(*ALERT_COLUMNS, "asset__code", "asset__name", "assignee__username", "maintenance__title")
        .order_by(*URGENCY_ORDER)
    )
    serializer_class = AlertSerializer
    filterset_class = AlertFilterSet
    csv_export = "alerts"
    filtered_actions = ("read_all",)
    action_permissions = {
        "read": ["alerts.change_alert"],
        "unread": ["alerts.change_alert"],
        "read_all": ["alerts.change_alert"],
        "acknowledge": ["alerts.change_alert"],
        "unacknowledge": ["alerts.change_alert"],
        "snooze": ["alerts.change_alert"],
        "unsnooze": ["alerts.change_alert"],
        "generate": ["alerts.generate_alerts"],
        "stats": ["alerts.view_alert"],
        "history": ["alerts.view_alert"],
        "events": ["alerts.view_alert"],
        # Is the periodic generation alive? Any authenticated user may look.
        "scheduler": [],
    }

    # The dashboard polls these: `ETag`, and 304 while nothing changed (DESIGN §16).
    conditional_actions = ("list", "stats", "history")

    def version_parts(self) -> list:
        return alerts_version()

    def get_queryset(self):
        return with_current_snooze(super().get_queryset(), now=timezone.now())

    @extend_schema(summary="Mark an alert read", request=None, responses=AlertSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        # Marked first, so one fetch returns the fresh alert (an unknown id
        # marks nothing, and the fetch answers 404).
        services.mark_read(alerts=Alert.objects.filter(pk=pk), user=request.user, many=False)
        return Response(self._represent(pk))

    @extend_schema(summary="Mark an alert unread", request=None, responses=AlertSerializer)
    @action(detail=True, methods=["post"])
    def unread(self, request, pk=None):
        services.mark_unread(alerts=Alert.objects.filter(pk=pk), user=request.user, many=False)
        return Response(self._represent(pk))

    @extend_schema(
        **_person_action(
            "Acknowledge an alert",
            "Someone is on it: the alert is acknowledged and read. Acknowledging again changes nothing.",
            AcknowledgeSerializer,
        )
    )
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        body = AcknowledgeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._act(actions.acknowledge, pk, user=request.user, note=body.validated_data.get("note", ""))

    @extend_schema(**_person_action("End an alert's acknowledgement", "Harmless when not acknowledged."))
    @action(detail=True, methods=["post"])
    def unacknowledge(self, request, pk=None):
        return self._act(actions.unacknowledge, pk, user=request.user)

    @extend_schema(
        **_person_action(
            "Snooze an alert",
            "Not now: the alert stays in the list and is not notified until `until` "
            "(in the future, at most ALERTS_MAX_SNOOZE_DAYS ahead), or until its priority increases.",
            SnoozeSerializer,
        )
    )
    @action(detail=True, methods=["post"])
    def snooze(self, request, pk=None):
        body = SnoozeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._act(
            actions.snooze,
            pk,
            user=request.user,
            until=body.validated_data["until"],
            reason=body.validated_data.get("reason", ""),
        )

    @extend_schema(**_person_action("Wake a snoozed alert", "Harmless when not snoozed."))
    @action(detail=True, methods=["post"])
    def unsnooze(self, request, pk=None):
        return self._act(actions.unsnooze, pk, user=request.user)

    def _act(self, service, pk, **kwargs) -> Response:
        """Run an action of `alerts.actions` on one alert; the fresh alert, 404 or 409."""
        if int(pk) > MAX_ID:
            raise Http404
        try:
            service(alert_id=int(pk), **kwargs)
        except Alert.DoesNotExist:
            raise Http404 from None
        except actions.AlertResolved as resolved:
            return Response({"detail": str(resolved)}, status=status.HTTP_409_CONFLICT)
        return Response(self._represent(pk))

    def _represent(self, pk) -> dict:
        """The alert as `AlertSerializer` shows it, read as one row.

        Building a ModelSerializer's fields for one object cost more than the
        update itself (bench/run); RowSerializer gives the same JSON.
        """
        rows = RowSerializer.of(self.get_serializer_class())
        row = rows.rows(self.get_queryset().filter(pk=pk)).first()
        if row is None:
            raise Http404
        return rows.represent([row])[0]

    @extend_schema(
        summary="Mark every matching alert read",
        description="Takes the list's filters as query parameters (default: all active alerts).",
        request=None,
        responses=MarkedSerializer,
    )
    @action(detail=False, methods=["post"], url_path="read-all", pagination_class=None)
    def read_all(self, request):
        marked = services.mark_read(alerts=self.filter_queryset(self.get_queryset()), user=request.user)
        return Response({"marked": marked})

    @extend_schema(
        summary="Regenerate the alerts now",
        request=None,
        responses={
            200: GenerationResponseSerializer,
            409: OpenApiResponse(GenerationErrorSerializer, description="Another generation is running."),
            503: OpenApiResponse(
                GenerationErrorSerializer, description="The generation failed; the alerts are unchanged."
            ),
        },
    )
    @action(detail=False, methods=["post"], filterset_class=None, pagination_class=None)
    def generate(self, request):
        try:
            result = services.generate_alerts(trigger=RunTrigger.API)
        except services.GenerationFailed as failure:
            return Response(
                {
                    "detail": _("Alert generation failed; the alerts are unchanged."),
                    "error": failure.result.error,
                    "run": failure.result.run.pk if failure.result.run else None,
                },
                status=status.HTTP_503_SERVICE_UNAVAILABLE,
            )
        if result.status == RunStatus.SKIPPED:
            return Response(
                {
                    "detail": _("Another alert generation is running; try again in a moment."),
                    "run": result.run.pk if result.run else None,
                },
                status=status.HTTP_409_CONFLICT,
            )
        return Response(GenerationResponseSerializer(result).data)

    @extend_schema(summary="The alert's history, oldest first", responses=AlertEventSerializer(many=True))
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None)
    def events(self, request, pk=None):
        if not Alert.objects.filter(pk=pk).exists():
            raise Http404
        events = AlertEvent.objects.filter(alert_id=pk).select_related("actor").order_by("at", "id")
        return Response(AlertEventSerializer(events, many=True).data)

    @extend_schema(summary="The scheduler's state", responses=SchedulerStatusSerializer)
    @action(detail=False, methods=["get"], filterset_class=None, pagination_class=None)
    def scheduler(self, request):
        return Response(
            SchedulerStatusSerializer(scheduler_status(crontab_max_age=CRONTAB_STATE_MAX_AGE)).data
        )

    @extend_schema(summary="Counters over active alerts", responses=AlertStatsSerializer)
    @action(detail=False, methods=["get"], filterset_class=None, pagination_class=None)
    def stats(self, request):
        return Response(alert_stats())

    @extend_schema(
        summary="Active alerts by priority, day by day",
        description=(
            "For each of the last `days` local days (oldest first, today last), the alerts active at "
            "the end of that day (now, for today), from their creation and resolution times, by "
            "their current priority."
        ),
        parameters=[HistoryQuerySerializer],
        responses=HistoryDaySerializer(many=True),
    )
    @action(detail=False, methods=["get"], filterset_class=None, pagination_class=None)
    def history(self, request):
        unknown = sorted(set(request.query_params) - {"days"})
        if unknown:
            return Response(
                {name: [_("Unknown parameter. Valid parameters: days.")] for name in unknown},
                status=status.HTTP_400_BAD_REQUEST,
            )
        if len(request.query_params.getlist("days")) > 1:
            return Response({"days": [_("Give this parameter once.")]}, status=status.HTTP_400_BAD_REQUEST)
        query = HistoryQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        series = active_history(days=query.validated_data["days"])
        return Response(HistoryDaySerializer(series, many=True).data)


@extend_schema_view(
    list=extend_schema(
        summary="Recent generation runs",
        description=(
            f"The {RECENT_RUNS} most recent runs, newest first; `limit`/`offset` page through the "
            "whole history."
        ),
    ),
    retrieve=extend_schema(summary="One generation run"),
)
class GenerationRunViewSet(ReadOnlyModelViewSet):
    queryset = GenerationRun.objects.all()
    serializer_class = GenerationRunSerializer
    filterset_class = GenerationRunFilterSet
    # A run every five minutes is 100,000 a year: the plain list shows the recent ones.
    unpaginated_limit = RECENT_RUNS
