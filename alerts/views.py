"""Pages and views outside the API routers.

The dashboard page (`/`); the health check is `alertsite.health`.
"""

from django.conf import settings
from django.urls import reverse
from django.views.generic import TemplateView

from alerts.choices import AlertKind, Priority, RunStatus, RunTrigger


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
                "logout": reverse("token-logout"),
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
