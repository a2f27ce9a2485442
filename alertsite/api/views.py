"""Base viewsets, the token endpoints and the current user."""

from django.conf import settings
from django.http import StreamingHttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView
from rest_framework_simplejwt.serializers import TokenObtainPairSerializer
from rest_framework_simplejwt.views import TokenBlacklistView, TokenObtainPairView, TokenRefreshView

from alerts.calendar import calendar_token, calendar_url
from alertsite.api.authentication import TokenRefreshSerializer
from alertsite.api.filters import StrictFilterBackend
from alertsite.api.permissions import ModelPermissions
from alertsite.api.renderers import CSVRenderer, ORJSONRenderer, represented_chunks
from alertsite.api.schema import VALIDATION_ERROR_SCHEMA, ErrorSerializer
from alertsite.api.serializers import RowSerializer


class BaseViewSet(viewsets.GenericViewSet):
    """What every API viewset shares: permissions, strict filters, numeric ids.

    Ids are digits only so that named routes such as `alerts/stats` or
    `alerts/scheduler` never reach a detail view. Subclasses may declare
    `action_permissions = {"action": ["app.perm", ...]}` for extra actions, and
    `filtered_actions` for the extra list-level actions that take the list's
    filters (so the schema documents them).
    """

    permission_classes = [ModelPermissions]
    filter_backends = [StrictFilterBackend]
    lookup_value_regex = r"[0-9]+"
    action_permissions: dict[str, list[str]] = {}
    filtered_actions: tuple[str, ...] = ()

    def filter_queryset(self, queryset):
        # Filters narrow lists; a detail route addresses one object whatever the query string.
        if self.detail:
            return queryset
        return super().filter_queryset(queryset)


# Rows fetched, represented and rendered at a time by a streamed list.
STREAM_CHUNK_ROWS = 1000


class RowListModelMixin:
    """`list` from database rows instead of model instances: the same JSON, cheaper.

    The queryset's filters and ordering apply as usual; see `RowSerializer`.
    `unpaginated_limit` caps the plain array of a list that grows forever
    (its most recent rows). Any other plain array holds at most `API_MAX_LIST`
    rows, streamed in chunks; beyond that it is a 400 asking for `limit`,
    never a list silently cut short.
    """

    unpaginated_limit: int | None = None
    # A view naming `csv_export` (the file name's stem) also answers its list
    # as CSV, for `?format=csv` or `Accept: text/csv`: the same filters and
    # columns, streamed through the same chunks. The CSV is not capped by
    # `API_MAX_LIST`: the cap protects clients that parse a JSON array whole,
    # while a CSV export is written and read row by row, in constant memory on
    # both sides. `limit`/`offset` give that page of rows as CSV (without the
    # page's counts). (Not in the docstring: drf-spectacular shows a viewset's
    # inherited docstring as its operations' description.)
    csv_export: str | None = None

    def get_renderers(self):
        renderers = super().get_renderers()
        if self.csv_export and getattr(self, "action", None) == "list":
            renderers.append(CSVRenderer())
        return renderers

    def handle_exception(self, exc):
        # An error is JSON a person can act on (DESIGN §5), whatever format the list was asked in.
        if isinstance(getattr(self.request, "accepted_renderer", None), CSVRenderer):
            self.request.accepted_renderer = ORJSONRenderer()
            self.request.accepted_media_type = ORJSONRenderer.media_type
        return super().handle_exception(exc)

    def list(self, request, *args, **kwargs):
        row_serializer = RowSerializer.of(self.get_serializer_class())
        queryset = self.filter_queryset(self.get_queryset())
        rows = row_serializer.rows(queryset)
        renderer = request.accepted_renderer
        if isinstance(renderer, CSVRenderer):
            return self._stream(renderer, self._csv_rows(request, rows), row_serializer)
        page = None
        if self.paginator is not None:
            # Counted on the queryset: the rows' related columns (asset code…)
            # would keep a join in the COUNT that costs more than the count itself.
            page = self.paginator.paginate_queryset(rows, request, view=self, count_queryset=queryset)
        if page is not None:
            return self.get_paginated_response(row_serializer.represent(page))
        if self.unpaginated_limit is not None:
            return Response(row_serializer.represent(rows[: self.unpaginated_limit]))
        count = queryset.count()
        if count > settings.API_MAX_LIST:
            raise exceptions.ValidationError(
                {
                    "limit": [
                        _(
                            "%(count)d rows match, more than the %(max)d a list without `limit` may hold: "
                            "page through them with `limit` and `offset`."
                        )
                        % {"count": count, "max": settings.API_MAX_LIST}
                    ]
                }
            )
        if not (isinstance(renderer, ORJSONRenderer) and renderer.streams(request.accepted_media_type)):
            return Response(row_serializer.represent(rows))
        return self._stream(renderer, rows, row_serializer)

    def _csv_rows(self, request, rows):
        """The rows a CSV export holds: all of them, the page `limit`/`offset` ask for, or the recent ones."""
        paginator = self.paginator
        params = request.query_params
        if paginator is not None and (
            paginator.limit_query_param in params or paginator.offset_query_param in params
        ):
            # The paginator's own parsing: a bad `limit` or `offset` is the same 400 as for JSON.
            offset = paginator.get_offset(request)
            return rows[offset : offset + paginator.get_limit(request)]
        if self.unpaginated_limit is not None:
            return rows[: self.unpaginated_limit]
        return rows

    def _stream(self, renderer, rows, row_serializer) -> StreamingHttpResponse:
        """`rows` represented and rendered `STREAM_CHUNK_ROWS` at a time, fetched by one query."""
        body = renderer.stream(
            represented_chunks(
                rows.iterator(chunk_size=STREAM_CHUNK_ROWS),
                row_serializer.represent,
                chunk_size=STREAM_CHUNK_ROWS,
            ),
            row_serializer.names,
        )
        content_type = renderer.media_type
        if renderer.charset:
            content_type = f"{content_type}; charset={renderer.charset}"
        response = StreamingHttpResponse(body, content_type=content_type)
        if isinstance(renderer, CSVRenderer):
            response["Content-Disposition"] = f'attachment; filename="{self.csv_export}.csv"'
        return response


class ReadOnlyModelViewSet(RowListModelMixin, mixins.RetrieveModelMixin, BaseViewSet):
    pass


class ModelViewSet(
    RowListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    BaseViewSet,
):
    pass


@extend_schema_view(
    post=extend_schema(
        summary="Get an access and a refresh token",
        responses={
            200: TokenObtainPairSerializer,
            401: OpenApiResponse(ErrorSerializer, description="Wrong username or password."),
            429: OpenApiResponse(ErrorSerializer, description="Too many attempts; see Retry-After."),
        },
    )
)
class TokenObtainView(TokenObtainPairView):
    """`{username, password}` → `{access, refresh}`, throttled against password guessing."""

    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth-token"


@extend_schema_view(
    post=extend_schema(
        summary="Get a new access token (and a new refresh token)",
        description="The refresh token sent is blacklisted: use the new one next time.",
        responses={
            200: TokenRefreshSerializer,
            400: OpenApiResponse(VALIDATION_ERROR_SCHEMA, description="No `refresh` given."),
            401: OpenApiResponse(
                ErrorSerializer,
                description="Invalid, expired or revoked refresh token, or its user is inactive, "
                "deleted or has changed password.",
            ),
        },
    )
)
class TokenRenewView(TokenRefreshView):
    """`{refresh}` → `{access, refresh}`; the refresh token sent no longer works."""


@extend_schema_view(
    post=extend_schema(
        summary="Sign out: revoke a refresh token",
        responses={
            205: OpenApiResponse(description="Revoked: the refresh token no longer works."),
            400: OpenApiResponse(VALIDATION_ERROR_SCHEMA, description="No `refresh` given."),
            401: OpenApiResponse(ErrorSerializer, description="Invalid, expired or already revoked token."),
        },
    )
)
class LogoutView(TokenBlacklistView):
    """`{refresh}` → 205: the refresh token is blacklisted (access tokens expire on their own)."""

    def post(self, request, *args, **kwargs):
        super().post(request, *args, **kwargs)  # 200 with an empty object, or an error raised
        return Response(status=status.HTTP_205_RESET_CONTENT)


class CurrentUserSerializer(serializers.Serializer):
    username = serializers.CharField()
    groups = serializers.ListField(child=serializers.CharField(), help_text="Names of the user's roles.")
    permissions = serializers.ListField(
        child=serializers.CharField(), help_text="Every permission the user has, as `app_label.codename`."
    )
    can_generate = serializers.BooleanField(help_text="Whether `POST /api/alerts/generate` is allowed.")
    calendar_url = serializers.URLField(
        help_text="The user's maintenance calendar feed, to subscribe to; `POST /api/me/calendar-token` "
        "replaces it."
    )


class CurrentUserView(APIView):
    """Who the token belongs to and what they may do, so a dashboard shows only what works."""

    permission_classes = [IsAuthenticated]

    @extend_schema(summary="The signed-in user", responses=CurrentUserSerializer, tags=["auth"])
    def get(self, request):
        user = request.user
        return Response(
            CurrentUserSerializer(
                {
                    "username": user.get_username(),
                    "groups": sorted(user.groups.values_list("name", flat=True)),
                    "permissions": sorted(user.get_all_permissions()),
                    "can_generate": user.has_perm("alerts.generate_alerts"),
                    "calendar_url": calendar_url(calendar_token(user=user)),
                }
            ).data
        )
