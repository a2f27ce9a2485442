"""Admin for alerts and their generation history."""

import datetime

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from alerts import actions
from alerts.choices import RunStatus, RunTrigger
from alerts.models import Alert, AlertEvent, GenerationRun, Notification, Subscription
from alerts.notifications.services import retry_notifications
from alerts.selectors import snoozed_q
from alerts.services import GenerationFailed, generate_alerts, mark_read, mark_unread


class AlertEventInline(admin.TabularInline):
    """The alert's history, oldest first; append-only, so read-only here."""

    model = AlertEvent
    fields = ("at", "kind", "priority", "actor", "run", "note")
    readonly_fields = fields
    ordering = ("at", "id")
    extra = 0
    can_delete = False
    show_change_link = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor", "run")

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class AcknowledgedFilter(admin.SimpleListFilter):
    title = _("acknowledged")
    parameter_name = "acknowledged"

    def lookups(self, request, model_admin):
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(acknowledged_at__isnull=self.value() == "no")
        return queryset


class SnoozedFilter(admin.SimpleListFilter):
    """Snoozed until a time still to come (an expired snooze is not one, DESIGN §11)."""

    title = _("snoozed")
    parameter_name = "snoozed"

    def lookups(self, request, model_admin):
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request, queryset):
        snoozed = snoozed_q(now=timezone.now())
        if self.value() == "yes":
            return queryset.filter(snoozed)
        if self.value() == "no":
            return queryset.exclude(snoozed)
        return queryset


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = (
        "title",
        "priority",
        "kind",
        "asset",
        "due_date",
        "is_read",
        "is_active",
        "updated_at",
        "assignee",
        "acknowledged_at",
        "snoozed_until",
    )
    list_filter = ("is_active", "priority", "kind", "is_read", "assignee", AcknowledgedFilter, SnoozedFilter)
    search_fields = ("asset__code", "asset__name", "title")
    list_select_related = ("asset", "assignee")
    date_hierarchy = "created_at"
    actions = (
        "mark_selected_read",
        "mark_selected_unread",
        "acknowledge_selected",
        "unacknowledge_selected",
        "snooze_for_an_hour",
        "snooze_for_a_day",
        "snooze_for_a_week",
        "unsnooze_selected",
    )
    change_list_template = "admin/alerts/alert/change_list.html"
    inlines = (AlertEventInline,)
    fields = (
        "kind",
        "priority",
        "asset",
        "maintenance",
        "title",
        "message",
        "due_date",
        "is_active",
        "is_read",
        "read_at",
        "read_by",
        "created_at",
        "updated_at",
        "resolved_at",
        "assignee",
        "acknowledged_at",
        "acknowledged_by",
        "snoozed_until",
        "snoozed_by",
        "snooze_reason",
    )
    # Alerts belong to the rules: only the read flag is a person's to change.
    readonly_fields = tuple(name for name in fields if name != "is_read")

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Alerts come from the rules, never from a form.
        return False

    @admin.action(description=_("Mark selected alerts read"), permissions=["change"])
    def mark_selected_read(self, request, queryset):
        count = mark_read(alerts=queryset, user=request.user)
        self.message_user(request, _("%(count)d alert(s) marked read.") % {"count": count})

    @admin.action(description=_("Mark selected alerts unread"), permissions=["change"])
    def mark_selected_unread(self, request, queryset):
        count = mark_unread(alerts=queryset, user=request.user)
        self.message_user(request, _("%(count)d alert(s) marked unread.") % {"count": count})

    @admin.action(description=_("Acknowledge selected alerts"), permissions=["change"])
    def acknowledge_selected(self, request, queryset):
        count = actions.acknowledge_alerts(alerts=queryset, user=request.user)
        self.message_user(request, _("%(count)d alert(s) acknowledged.") % {"count": count})

    @admin.action(description=_("End the acknowledgement of selected alerts"), permissions=["change"])
    def unacknowledge_selected(self, request, queryset):
        count = actions.unacknowledge_alerts(alerts=queryset, user=request.user)
        self.message_user(request, _("%(count)d acknowledgement(s) ended.") % {"count": count})

    @admin.action(description=_("Wake selected snoozed alerts"), permissions=["change"])
    def unsnooze_selected(self, request, queryset):
        count = actions.unsnooze_alerts(alerts=queryset, user=request.user)
        self.message_user(request, _("%(count)d alert(s) woken.") % {"count": count})

    @admin.action(description=_("Snooze selected alerts for 1 hour"), permissions=["change"])
    def snooze_for_an_hour(self, request, queryset):
        self._snooze(request, queryset, datetime.timedelta(hours=1))

    @admin.action(description=_("Snooze selected alerts for 1 day"), permissions=["change"])
    def snooze_for_a_day(self, request, queryset):
        self._snooze(request, queryset, datetime.timedelta(days=1))

    @admin.action(description=_("Snooze selected alerts for 1 week"), permissions=["change"])
    def snooze_for_a_week(self, request, queryset):
        self._snooze(request, queryset, datetime.timedelta(days=7))

    def _snooze(self, request, queryset, duration: datetime.timedelta) -> None:
        now = timezone.now()
        try:
            count = actions.snooze_alerts(alerts=queryset, user=request.user, until=now + duration, now=now)
        except ValidationError as error:  # a week beyond ALERTS_MAX_SNOOZE_DAYS
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            return
        self.message_user(request, _("%(count)d alert(s) snoozed.") % {"count": count})

    def save_model(self, request, obj, form, change):
        # Only is_read is editable: go through the services so read_at/read_by follow.
        if "is_read" in form.changed_data:
            alerts = Alert.objects.filter(pk=obj.pk)
            if obj.is_read:
                mark_read(alerts=alerts, user=request.user, many=False)
            else:
                mark_unread(alerts=alerts, user=request.user, many=False)

    def get_urls(self):
        return [
            path(
                "generate/",
                self.admin_site.admin_view(self.generate_view),
                name="alerts_alert_generate",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_generate": request.user.has_perm("alerts.generate_alerts"),
        }
        return super().changelist_view(request, extra_context)

    def generate_view(self, request):
        """Regenerate now (POST only), then back to the list with the counts."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not request.user.has_perm("alerts.generate_alerts"):
            raise PermissionDenied
        try:
            result = generate_alerts(trigger=RunTrigger.ADMIN)
        except GenerationFailed as failure:
            self.message_user(request, _("Generation failed: %s") % failure.result.error, messages.ERROR)
        else:
            if result.status == RunStatus.SKIPPED:
                self.message_user(
                    request, _("Another generation is in progress; try again."), messages.WARNING
                )
            else:
                self.message_user(request, _("Generation finished: %s.") % result.summary())
        return HttpResponseRedirect(reverse("admin:alerts_alert_changelist"))


@admin.register(GenerationRun)
class GenerationRunAdmin(admin.ModelAdmin):
    list_display = (
        "started_at",
        "trigger",
        "status",
        "duration_ms",
        "created",
        "updated",
        "resolved",
        "unchanged",
    )
    list_filter = ("status", "trigger")
    date_hierarchy = "started_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "channel", "target", "min_priority", "mode", "is_active"]
    list_filter = ["channel", "mode", "min_priority", "is_active"]
    search_fields = ["name", "target", "user__username"]
    raw_id_fields = ["user"]
    # The signing secret is shown once, by the API; the admin never displays it.
    exclude = ["secret"]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """The delivery log: read-only, with the retry of failed and dead notices."""

    list_display = [
        "dedup_key",
        "kind",
        "status",
        "subscription",
        "attempts",
        "response_status",
        "created_at",
    ]
    list_filter = ["status", "kind"]
    search_fields = ["dedup_key", "subscription__name", "last_error"]
    readonly_fields = [field.name for field in Notification._meta.fields]
    actions = ["retry"]

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Retry the selected failed or dead notices"), permissions=["change"])
    def retry(self, request, queryset):
        retried = retry_notifications(notifications=queryset)
        self.message_user(request, _("%(count)d notice(s) will be retried.") % {"count": retried})
