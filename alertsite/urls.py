"""Top-level URL configuration."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("alertsite.api.urls")),
]

# JSON errors under /api/, the usual pages elsewhere.
handler404 = "alertsite.api.exceptions.page_not_found"
handler500 = "alertsite.api.exceptions.server_error"
