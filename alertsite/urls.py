"""Top-level URL configuration."""

from django.contrib import admin
from django.urls import include, path, re_path
from django.views.i18n import JavaScriptCatalog

from alerts.metrics import metrics_view
from alerts.views import DashboardView
from alertsite.health import healthz

urlpatterns = [
    path("", DashboardView.as_view(), name="dashboard"),
    # The dashboard's translated strings, served by the project (no CDN, works offline).
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("admin/", admin.site.urls),
    re_path(r"^healthz/?$", healthz, name="healthz"),
    # Prometheus; outside /api/: a bearer token of its own, no JWT, no session (DESIGN §15).
    re_path(r"^metrics/?$", metrics_view, name="metrics"),
    path("api/", include("alertsite.api.urls")),
]

# JSON errors under /api/, the usual pages elsewhere.
handler400 = "alertsite.api.exceptions.bad_request"
handler404 = "alertsite.api.exceptions.page_not_found"
handler500 = "alertsite.api.exceptions.server_error"
