"""Pages and views outside the API routers.

The dashboard page (`/`) and the scheduler's status (`/api/alerts/scheduler`).
"""

from django.conf import settings
from django.urls import reverse
from django.views.generic import TemplateView
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from alerts.api.serializers import GenerationRunSerializer
from alerts.choices import AlertKind, Priority, RunStatus, RunTrigger
from alerts.scheduling import CRONTAB_STATE_MAX_AGE, scheduler_status


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


class SchedulerStatusView(APIView):
    """Is the periodic generation alive? Any authenticated user may look."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=SchedulerStatusSerializer, tags=["alerts"])
    def get(self, request):
        status = scheduler_status(crontab_max_age=CRONTAB_STATE_MAX_AGE)
        return Response(SchedulerStatusSerializer(status).data)


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
