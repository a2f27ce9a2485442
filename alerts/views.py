"""Pages and views outside the API routers.

The dashboard page (`/`), the scheduler's status (`/api/alerts/scheduler`) and
the health check (`/healthz`).
"""

import logging

from django.conf import settings
from django.db import DatabaseError
from django.http import HttpRequest, JsonResponse
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from django.views.generic import TemplateView
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from alerts.api.serializers import GenerationRunSerializer
from alerts.choices import AlertKind, Priority, RunStatus, RunTrigger
from alerts.scheduling import scheduler_status

logger = logging.getLogger(__name__)


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


class SchedulerStatusView(APIView):
    """Is the periodic generation alive? Any authenticated user may look."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=SchedulerStatusSerializer, tags=["alerts"])
    def get(self, request):
        return Response(SchedulerStatusSerializer(scheduler_status()).data)


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness for load balancers and probes, without authentication.

    200 `ok`; 200 `degraded` when the scheduler is stale or a due notification
    waited more than 10 minutes (the site still serves, its alerts or notices
    may be late); 503 when the database is unreachable.
    The crontab is not read here: probes are frequent, and web nodes of a
    multi-host deployment have no crontab of their own.
    """
    try:
        status = scheduler_status(check_crontab=False)
    except DatabaseError as error:
        logger.warning("Health check: database unreachable: %s", error)
        return JsonResponse({"status": "unavailable", "database": "unreachable"}, status=503)
    outbox = status["outbox"]
    return JsonResponse(
        {
            "status": "degraded" if status["stale"] or outbox["degraded"] else "ok",
            "database": "ok",
            "scheduler": {
                "stale": status["stale"],
                "last_success_at": status["last_success_at"],
                "next_run_at": status["next_run_at"],
            },
            "outbox": {key: outbox[key] for key in ("pending", "oldest_pending_seconds", "dead_last_24h")},
        }
    )


class DashboardView(TemplateView):
    """The live alerts page: static HTML whose script reads everything from the REST API.

    The page itself holds no data and needs no session: the script signs in
    for a JWT and calls the API with it, exactly as any other client would.
    The configuration it needs (endpoints, refresh interval, translated
    choice labels) travels in a JSON script element.
    """

    template_name = "alerts/dashboard.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["priorities"] = list(reversed(Priority.choices))
        context["kinds"] = AlertKind.choices
        context["refresh_seconds"] = settings.DASHBOARD_REFRESH_SECONDS
        context["config"] = {
            "refreshSeconds": settings.DASHBOARD_REFRESH_SECONDS,
            "urls": {
                "token": reverse("token-obtain"),
                "tokenRefresh": reverse("token-refresh"),
                "me": reverse("current-user"),
                "alerts": reverse("alert-list"),
                "readAll": reverse("alert-read-all"),
                "stats": reverse("alert-stats"),
                "generate": reverse("alert-generate"),
                "scheduler": reverse("alert-scheduler"),
            },
            "labels": {
                "priority": dict(Priority.choices),
                "kind": dict(AlertKind.choices),
                "runStatus": dict(RunStatus.choices),
                "trigger": dict(RunTrigger.choices),
            },
        }
        return context
