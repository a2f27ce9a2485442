"""Choices of the alert models."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AlertKind(models.TextChoices):
    MAINTENANCE_DUE_SOON = "MAINTENANCE_DUE_SOON", _("Maintenance due soon")
    MAINTENANCE_OVERDUE = "MAINTENANCE_OVERDUE", _("Maintenance overdue")
    ASSET_NEEDS_MAINTENANCE = "ASSET_NEEDS_MAINTENANCE", _("Asset needs maintenance")


class Priority(models.TextChoices):
    LOW = "LOW", _("Low")
    MEDIUM = "MEDIUM", _("Medium")
    HIGH = "HIGH", _("High")
    CRITICAL = "CRITICAL", _("Critical")


RANKS = {Priority.LOW: 1, Priority.MEDIUM: 2, Priority.HIGH: 3, Priority.CRITICAL: 4}


class RunTrigger(models.TextChoices):
    CRON = "CRON", _("Cron")
    STARTUP = "STARTUP", _("Start-up")
    API = "API", _("API")
    CLI = "CLI", _("Command line")
    ADMIN = "ADMIN", _("Admin")


class RunStatus(models.TextChoices):
    RUNNING = "RUNNING", _("Running")
    SUCCESS = "SUCCESS", _("Success")
    FAILED = "FAILED", _("Failed")
    SKIPPED = "SKIPPED", _("Skipped")


class EventKind(models.TextChoices):
    """What happened to an alert (DESIGN §10)."""

    CREATED = "CREATED", _("Created")
    ESCALATED = "ESCALATED", _("Escalated")
    DEESCALATED = "DEESCALATED", _("De-escalated")
    UPDATED = "UPDATED", _("Updated")
    RESOLVED = "RESOLVED", _("Resolved")
    READ = "READ", _("Read")
    UNREAD = "UNREAD", _("Unread")
    ACKNOWLEDGED = "ACKNOWLEDGED", _("Acknowledged")
    UNACKNOWLEDGED = "UNACKNOWLEDGED", _("Unacknowledged")
    SNOOZED = "SNOOZED", _("Snoozed")
    UNSNOOZED = "UNSNOOZED", _("Unsnoozed")
    ASSIGNED = "ASSIGNED", _("Assigned")


class Channel(models.TextChoices):
    EMAIL = "EMAIL", _("Email")
    WEBHOOK = "WEBHOOK", _("Webhook")


class WebhookFormat(models.TextChoices):
    STANDARD = "standard", _("Standard Webhooks")
    ALERTMANAGER = "alertmanager", _("Alertmanager (version 4)")
    SLACK = "slack", _("Slack")


class SubscriptionMode(models.TextChoices):
    IMMEDIATE = "IMMEDIATE", _("Immediate")
    DIGEST = "DIGEST", _("Daily digest")


class NotificationKind(models.TextChoices):
    FIRING = "FIRING", _("Firing")
    RESOLVED = "RESOLVED", _("Resolved")
    REPEAT = "REPEAT", _("Repeat")
    DIGEST = "DIGEST", _("Digest")
    TEST = "TEST", _("Test")


class NotificationStatus(models.TextChoices):
    PENDING = "PENDING", _("Pending")
    SENT = "SENT", _("Sent")
    FAILED = "FAILED", _("Failed (will be retried)")
    DEAD = "DEAD", _("Dead (gave up)")
    CANCELLED = "CANCELLED", _("Cancelled (no longer relevant)")
