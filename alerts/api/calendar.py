"""The calendar feed (`/api/calendar.ics`) and the rotation of its token (DESIGN §15)."""

from django.http import HttpResponse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import authentication, exceptions, serializers
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from alerts.calendar import (
    SCOPES,
    VIEW_PERMISSION,
    build_calendar,
    calendar_maintenances,
    calendar_owner,
    calendar_url,
    rotate_calendar_token,
)
from alertsite.api.schema import VALIDATION_ERROR_SCHEMA, AutoSchema, ErrorSerializer


class JSONErrorsNegotiation(BaseContentNegotiation):
    """Whatever the client accepts: the feed is iCalendar, its errors are JSON.

    Calendar apps ask for `text/calendar` (or anything); DRF would refuse that
    with a 406 before the view runs, since only the errors go through a renderer.
    """

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class CalendarTokenAuthentication(authentication.BaseAuthentication):
    """The feed token of `?token=`; good for the calendar feed only.

    No token, or a wrong one, leaves the request anonymous: the feed then
    answers 404, as for an address that does not exist.
    """

    def authenticate(self, request):
        owner = calendar_owner(request.query_params.get("token", ""))
        return (owner, None) if owner is not None else None


class CalendarTokenScheme(OpenApiAuthenticationExtension):
    target_class = CalendarTokenAuthentication
    name = "calendarToken"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "query", "name": "token"}


class CalendarFeedSchema(AutoSchema):
    def get_auth(self):
        # AllowAny would document the token as optional; without it the feed is a 404.
        return [requirement for requirement in super().get_auth() if requirement]


class CalendarQuerySerializer(serializers.Serializer):
    token = serializers.CharField(required=False, allow_blank=True)
    scope = serializers.ChoiceField(choices=SCOPES, default="mine")


class CalendarFeedView(APIView):
    """An iCalendar feed of open maintenances, authenticated by the token in its address."""

    authentication_classes = [CalendarTokenAuthentication]
    # The view answers 404 itself, so that a bad token looks like no feed at all.
    permission_classes = [AllowAny]
    content_negotiation_class = JSONErrorsNegotiation
    schema = CalendarFeedSchema()

    @extend_schema(
        summary="Maintenance calendar (iCalendar)",
        description=(
            "All-day events for open (planned or in progress) maintenances from 30 days ago to 180 "
            "days ahead, in the site's time zone. `[OVERDUE] ` prefixes the summary of a maintenance "
            "whose date has passed. Authenticated by `token` (the address `GET /api/me` shows as "
            "`calendar_url`), never by a JWT; the owner needs `maintenance.view_maintenance`."
        ),
        parameters=[
            OpenApiParameter("token", str, required=True, description="The feed token of `calendar_url`."),
            OpenApiParameter(
                "scope",
                str,
                enum=list(SCOPES),
                description="`mine` (default): maintenances assigned to the token's owner; `all`: every one.",
            ),
        ],
        operation_id="calendar_feed",
        responses={
            (200, "text/calendar"): OpenApiResponse(OpenApiTypes.STR, description="RFC 5545 calendar."),
            400: OpenApiResponse(
                VALIDATION_ERROR_SCHEMA, description="A bad `scope` or an unknown parameter."
            ),
            403: OpenApiResponse(
                ErrorSerializer, description="The token's owner may not view maintenances (any more)."
            ),
            404: OpenApiResponse(
                ErrorSerializer,
                description="Missing, unknown or replaced token, or its owner is inactive.",
            ),
        },
        tags=["calendar"],
    )
    def get(self, request):
        # The token first: without a valid one, nothing else is answered.
        owner = request.user
        if not owner.is_authenticated:
            raise exceptions.NotFound(_("No calendar at this address; get its current one from /api/me."))
        unknown = sorted(set(request.query_params) - set(CalendarQuerySerializer().fields))
        if unknown:
            raise exceptions.ValidationError({name: [_("Unknown parameter.")] for name in unknown})
        query = CalendarQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        if not owner.has_perm(VIEW_PERMISSION):
            raise exceptions.PermissionDenied(_("This calendar's owner may not view maintenances."))

        scope = query.validated_data["scope"]
        today = timezone.localdate()
        maintenances = calendar_maintenances(user=owner, scope=scope, today=today)
        response = HttpResponse(
            build_calendar(maintenances, scope=scope, today=today),
            content_type="text/calendar; charset=utf-8",
        )
        response["Content-Disposition"] = 'inline; filename="alertsite-maintenances.ics"'
        add_never_cache_headers(response)
        return response


class CalendarUrlSerializer(serializers.Serializer):
    calendar_url = serializers.URLField(help_text="The new address of the user's calendar feed.")


class CalendarTokenView(APIView):
    """Replace the signed-in user's calendar token (a leaked address stops working)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Replace the calendar feed's token",
        description="The old `calendar_url` answers 404 from now on; subscribe again with the new one.",
        request=None,
        responses={200: CalendarUrlSerializer},
        tags=["auth"],
    )
    def post(self, request):
        token = rotate_calendar_token(user=request.user)
        return Response(CalendarUrlSerializer({"calendar_url": calendar_url(token)}).data)
