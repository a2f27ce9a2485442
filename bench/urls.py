"""The product's URLs, plus the bench-only floor views under /bench/floor/."""

from django.urls import include, path

from bench import floor

urlpatterns = [
    path("bench/floor/alerts", floor.alert_list),
    path("bench/floor/alerts/stats", floor.alert_stats),
    path("bench/floor/alerts/<int:pk>/read", floor.alert_read),
    path("bench/floor/maintenances.csv", floor.maintenance_csv),
    path("bench/floor/metrics", floor.metrics),
    path("", include("alertsite.urls")),
]

handler404 = "alertsite.api.exceptions.page_not_found"
handler500 = "alertsite.api.exceptions.server_error"
