"""Admin for alerts and their generation history."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from alerts.choices import RunStatus, RunTrigger
from alerts.models import Alert, GenerationRun, Notification, Subscription
from alerts.notifications.services import retry_notifications
from alerts.services import GenerationFailed, generate_alerts, mark_read, mark_unread


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ("title", "priority", "kind", "asset", "due_date", "is_read", "is_active", "updated_at")
    list_filter = ("is_active", "priority", "kind", "is_read")
    search_fields = ("asset__code", "asset__name", "title")
    list_select_related = ("asset",)
    date_hierarchy = "created_at"
    actions = ("mark_selected_read", "mark_selected_unread")
    change_list_template = "admin/alerts/alert/change_list.html"
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
        count = mark_unread(alerts=queryset)
        self.message_user(request, _("%(count)d alert(s) marked unread.") % {"count": count})

    def save_model(self, request, obj, form, change):
        # Only is_read is editable: go through the services so read_at/read_by follow.
        if "is_read" in form.changed_data:
            alerts = Alert.objects.filter(pk=obj.pk)
            if obj.is_read:
                mark_read(alerts=alerts, user=request.user, many=False)
            else:
                mark_unread(alerts=alerts, many=False)

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
                self.message_user(
                    request,
                    _(
                        "Generation finished: %(created)d created, %(updated)d updated, "
                        "%(resolved)d resolved, %(unchanged)d unchanged in %(ms)d ms."
                    )
                    % {
                        "created": result.created,
                        "updated": result.updated,
                        "resolved": result.resolved,
                        "unchanged": result.unchanged,
                        "ms": result.duration_ms,
                    },
                )
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
    ordering = ("-started_at", "-id")
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
