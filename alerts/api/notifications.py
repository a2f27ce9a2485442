"""API of notifications (DESIGN §12): subscriptions and the delivery log.

Anyone who may view alerts may subscribe and manage their own
subscriptions; managers (`alerts.view_subscription`, `alerts.change_subscription`)
see and manage everyone's, and everyone's delivery log (`alerts.view_notification`).
"""

import django_filters
from django.contrib.auth import get_user_model
from django.core.validators import EmailValidator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import exceptions, mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from alerts.choices import (
    AlertKind,
    Channel,
    NotificationKind,
    NotificationStatus,
    SubscriptionMode,
)
from alerts.models import Notification, Subscription
from alerts.notifications import services
from alerts.notifications.transport import UnsafeURL, check_url
from alertsite.api.filters import FilterSet, IdFilter
from alertsite.api.schema import ErrorSerializer
from alertsite.api.views import BaseViewSet, RowListModelMixin

MAX_REPEAT_HOURS = 24 * 30


class CanViewAlerts(BasePermission):
    """Whoever may view alerts may subscribe to them."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        # A method the route does not offer: every role sees the same 405 (as ModelPermissions).
        return request.method not in view.allowed_methods or user.has_perm("alerts.view_alert")


@extend_schema_field(
    {
        "type": "string",
        "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]+)?)?$",
        "example": "07:00",
        "description": "Local time of the site (TIME_ZONE), HH:MM or HH:MM:SS, without an offset.",
    }
)
class LocalTimeField(serializers.TimeField):
    """A local time of day: not OpenAPI's `time` format, which requires an offset."""


class ChoiceListField(serializers.ListField):
    """A list of choices whose errors are a flat list of messages, like every other field's."""

    def to_internal_value(self, data):
        try:
            values = super().to_internal_value(data)
        except serializers.ValidationError as error:
            if isinstance(error.detail, dict):
                raise serializers.ValidationError(
                    [message for messages in error.detail.values() for message in messages]
                ) from None
            raise
        return list(dict.fromkeys(values))


class SubscriptionSerializer(serializers.ModelSerializer):
    user = serializers.PrimaryKeyRelatedField(
        queryset=get_user_model().objects.filter(is_active=True),
        required=False,
        help_text="Owner (default: you; only managers subscribe someone else).",
    )
    user_username = serializers.CharField(source="user.username", read_only=True)
    target = serializers.CharField(
        max_length=500,
        required=False,
        help_text="Email address (default: the owner's) or the webhook URL (http or https, public address).",
    )
    kinds = ChoiceListField(
        child=serializers.ChoiceField(choices=AlertKind.choices),
        required=False,
        help_text="Alert kinds to notify; empty means all.",
    )
    send_resolved = serializers.BooleanField(
        required=False, help_text="Notify resolutions too (default: false for email, true for webhooks)."
    )
    repeat_hours = serializers.IntegerField(
        min_value=0,
        max_value=MAX_REPEAT_HOURS,
        required=False,
        help_text="IMMEDIATE: notify an active, unacknowledged, unsnoozed alert again after this many "
        "hours; 0 = never (default 24).",
    )

    digest_at = LocalTimeField(
        required=False, help_text="DIGEST: when the day's digest goes (default 07:00)."
    )
    quiet_from = LocalTimeField(required=False, allow_null=True)
    quiet_until = LocalTimeField(required=False, allow_null=True)

    class Meta:
        model = Subscription
        fields = [
            "id",
            "user",
            "user_username",
            "name",
            "channel",
            "target",
            "format",
            "min_priority",
            "kinds",
            "assigned_to_me",
            "location",
            "mode",
            "digest_at",
            "repeat_hours",
            "send_resolved",
            "quiet_from",
            "quiet_until",
            "is_active",
        ]

    def validate_user(self, user):
        request = self.context["request"]
        if user != request.user and not request.user.has_perm("alerts.change_subscription"):
            raise serializers.ValidationError(_("You can only subscribe yourself."))
        return user

    def validate(self, attrs):
        attrs = super().validate(attrs)
        current = self.instance
        request = self.context["request"]

        def value(name, default=None):
            return attrs[name] if name in attrs else getattr(current, name, default)

        channel = value("channel")
        owner = value("user") or request.user
        target = (attrs.get("target") if "target" in attrs else getattr(current, "target", "")) or ""
        target = target.strip()
        if channel == Channel.EMAIL:
            changed = current is None or "target" in attrs or "channel" in attrs
            if not target and changed:
                target = owner.email
                if not target:
                    raise serializers.ValidationError(
                        {"target": [_("The owner has no email address: give one.")]}
                    )
            try:
                EmailValidator()(target)
            except Exception:
                raise serializers.ValidationError({"target": [_("Enter a valid email address.")]}) from None
        elif channel == Channel.WEBHOOK:
            if not target:
                raise serializers.ValidationError({"target": [_("A webhook needs a URL.")]})
            try:
                check_url(target)
            except UnsafeURL as error:
                raise serializers.ValidationError({"target": [str(error)]}) from None
        attrs["target"] = target
        quiet = (value("quiet_from"), value("quiet_until"))
        if (quiet[0] is None) != (quiet[1] is None):
            missing = "quiet_until" if quiet[1] is None else "quiet_from"
            raise serializers.ValidationError(
                {missing: [_("Quiet hours need both quiet_from and quiet_until (or neither).")]}
            )
        if current is None:
            attrs.setdefault("user", request.user)
            attrs.setdefault("send_resolved", channel == Channel.WEBHOOK)
        if channel == Channel.WEBHOOK and not value("secret", ""):
            attrs["secret"] = services.new_secret()
        return attrs


class SubscriptionSecretSerializer(SubscriptionSerializer):
    """A subscription with its webhook secret: only in the responses that create or rotate it."""

    secret = serializers.CharField(
        read_only=True, help_text="Webhook signing secret (`whsec_…`); shown now and never again."
    )

    class Meta(SubscriptionSerializer.Meta):
        fields = [*SubscriptionSerializer.Meta.fields, "secret"]


class NotificationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notification
        fields = [
            "id",
            "subscription",
            "alert",
            "event",
            "kind",
            "dedup_key",
            "status",
            "attempts",
            "next_attempt_at",
            "last_error",
            "response_status",
            "created_at",
            "sent_at",
        ]
        read_only_fields = fields


class NotificationFilterSet(FilterSet):
    status = django_filters.MultipleChoiceFilter(
        choices=NotificationStatus.choices, label=gettext_lazy("Status; repeat the parameter for several.")
    )
    kind = django_filters.MultipleChoiceFilter(
        choices=NotificationKind.choices, label=gettext_lazy("Kind; repeat the parameter for several.")
    )
    subscription = IdFilter(field_name="subscription_id", label=gettext_lazy("Subscription id."))
    alert = IdFilter(field_name="alert_id", label=gettext_lazy("Alert id."))

    class Meta:
        model = Notification
        fields: list[str] = []


class SubscriptionFilterSet(FilterSet):
    channel = django_filters.MultipleChoiceFilter(choices=Channel.choices)
    mode = django_filters.MultipleChoiceFilter(choices=SubscriptionMode.choices)
    user = IdFilter(field_name="user_id", label=gettext_lazy("Owner's user id."))

    class Meta:
        model = Subscription
        fields: list[str] = []


@extend_schema_view(
    list=extend_schema(summary="List subscriptions (yours; a manager's: everyone's)"),
    retrieve=extend_schema(summary="One subscription"),
    create=extend_schema(
        summary="Subscribe",
        description="A webhook subscription's `secret` is in this response and in `rotate-secret`'s only.",
        responses={201: SubscriptionSecretSerializer},
    ),
    update=extend_schema(summary="Replace a subscription"),
    partial_update=extend_schema(summary="Change a subscription"),
    destroy=extend_schema(summary="Unsubscribe"),
)
class SubscriptionViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    BaseViewSet,
):
    serializer_class = SubscriptionSerializer
    filterset_class = SubscriptionFilterSet
    permission_classes = [CanViewAlerts]

    def get_queryset(self):
        queryset = Subscription.objects.select_related("user").order_by("id")
        if getattr(self, "swagger_fake_view", False) or self.request.user.has_perm(
            "alerts.view_subscription"
        ):
            return queryset
        return queryset.filter(user=self.request.user)

    def get_object(self):
        subscription = super().get_object()
        user = self.request.user
        if self.request.method not in ("GET", "HEAD", "OPTIONS") and subscription.user_id != user.pk:
            codename = "delete_subscription" if self.request.method == "DELETE" else "change_subscription"
            if not user.has_perm(f"alerts.{codename}"):
                raise exceptions.PermissionDenied(_("Only managers change someone else's subscription."))
        return subscription

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        subscription = serializer.save()
        return Response(
            SubscriptionSecretSerializer(subscription, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        summary="Send a test notice now",
        description="Creates a `TEST` notice and delivers it at once; returns it as recorded "
        "(`SENT`, or `FAILED` with the error).",
        request=None,
        responses=NotificationSerializer,
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def test(self, request, pk=None):
        notification = services.send_test(subscription=self.get_object())
        return Response(NotificationSerializer(notification).data)

    @extend_schema(
        summary="Give a webhook subscription a new secret",
        description="The old secret stops verifying at once; the new one is shown in this response only.",
        request=None,
        responses={
            200: SubscriptionSecretSerializer,
            400: OpenApiResponse(ErrorSerializer, description="An email subscription has no secret."),
        },
    )
    @action(detail=True, methods=["post"], url_path="rotate-secret", filterset_class=None)
    def rotate_secret(self, request, pk=None):
        subscription = self.get_object()
        if subscription.channel != Channel.WEBHOOK:
            return Response(
                {"detail": _("Only webhook subscriptions have a secret.")}, status=status.HTTP_400_BAD_REQUEST
            )
        subscription = services.rotate_secret(subscription=subscription)
        context = self.get_serializer_context()
        return Response(SubscriptionSecretSerializer(subscription, context=context).data)


@extend_schema_view(
    list=extend_schema(
        summary="The delivery log",
        description="Notifications of your subscriptions (a manager's: everyone's), newest first.",
    ),
    retrieve=extend_schema(summary="One notification"),
)
class NotificationViewSet(RowListModelMixin, mixins.RetrieveModelMixin, BaseViewSet):
    serializer_class = NotificationSerializer
    filterset_class = NotificationFilterSet
    permission_classes = [CanViewAlerts]

    def get_queryset(self):
        queryset = Notification.objects.order_by("-created_at", "-id")
        if getattr(self, "swagger_fake_view", False) or self.request.user.has_perm(
            "alerts.view_notification"
        ):
            return queryset
        return queryset.filter(subscription__user=self.request.user)

    @extend_schema(
        summary="Retry a failed or dead notice",
        description="Back to `PENDING`, due now, with a fresh count of attempts.",
        request=None,
        responses={
            200: NotificationSerializer,
            409: OpenApiResponse(ErrorSerializer, description="Only a FAILED or DEAD notice can be retried."),
        },
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def retry(self, request, pk=None):
        try:
            notification = services.retry(notification=self.get_object())
        except services.NotRetryable as error:
            return Response(
                {
                    "detail": _("Only a FAILED or DEAD notification can be retried; this one is %(status)s.")
                    % {"status": error}
                },
                status=status.HTTP_409_CONFLICT,
            )
        return Response(NotificationSerializer(notification).data)
