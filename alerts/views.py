"""Pages and views outside the API routers.

The dashboard page (`/`); the health check is `alertsite.health`.
"""

from django.conf import settings
from django.urls import reverse
from django.views.generic import TemplateView

from alerts.choices import (
    AlertKind,
    Channel,
    EventKind,
    NotificationStatus,
    Priority,
    RunStatus,
    RunTrigger,
    SubscriptionMode,
    WebhookFormat,
)

# Placeholder for an id in the URLs the script fills in.
ID = 999999999


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
        context["channels"] = Channel.choices
        context["formats"] = WebhookFormat.choices
        context["modes"] = SubscriptionMode.choices
        context["refresh_seconds"] = settings.DASHBOARD_REFRESH_SECONDS
        context["config"] = {
            "refreshSeconds": settings.DASHBOARD_REFRESH_SECONDS,
            "idPlaceholder": str(ID),
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
                "history": reverse("alert-history"),
                "maintenanceComplete": reverse("maintenance-complete", args=[ID]),
                "maintenanceAdmin": reverse("admin:maintenance_maintenance_change", args=[ID]),
                "subscriptions": reverse("subscription-list"),
            },
            "labels": {
                "priority": dict(Priority.choices),
                "kind": dict(AlertKind.choices),
                "runStatus": dict(RunStatus.choices),
                "trigger": dict(RunTrigger.choices),
                "event": dict(EventKind.choices),
                "channel": dict(Channel.choices),
                "mode": dict(SubscriptionMode.choices),
                "notificationStatus": dict(NotificationStatus.choices),
            },
        }
        return context
