"""Everything under /api/: tokens, the apps' routes, the schema and its docs."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from alerts.api.calendar import CalendarFeedView, CalendarTokenView
from alertsite.api.views import CurrentUserView, LogoutView, TokenObtainView, TokenRenewView

urlpatterns = [
    re_path(r"^auth/token/?$", TokenObtainView.as_view(), name="token-obtain"),
    re_path(r"^auth/token/refresh/?$", TokenRenewView.as_view(), name="token-refresh"),
    re_path(r"^auth/logout/?$", LogoutView.as_view(), name="token-logout"),
    re_path(r"^me/?$", CurrentUserView.as_view(), name="current-user"),
    re_path(r"^me/calendar-token/?$", CalendarTokenView.as_view(), name="calendar-token"),
    re_path(r"^calendar\.ics/?$", CalendarFeedView.as_view(), name="calendar-feed"),
    path("", include("alerts.api.urls")),
    path("", include("assets.api.urls")),
    path("", include("maintenance.api.urls")),
    re_path(r"^schema/?$", SpectacularAPIView.as_view(), name="schema"),
    # The page's script is its own request (`?script`), not inline: the Content-Security-Policy
    # allows scripts from the site only.
    re_path(
        r"^docs/?$",
        SpectacularSwaggerSplitView.as_view(url_name="schema", template_name="alertsite/swagger_ui.html"),
        name="docs",
    ),
]
