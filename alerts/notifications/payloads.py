"""What a notice says: the email (text and HTML, in `LANGUAGE_CODE`) and the three webhook bodies."""

import datetime
import hashlib
import json

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.db.models import Count
from django.db.models.expressions import RawSQL
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from alerts.api.serializers import AlertSerializer
from alerts.choices import NotificationKind, Priority, WebhookFormat
from alerts.models import Alert, Notification
from alerts.notifications.matching import matching_alert_ids_sql

DIGEST_ALERTS = 50
STANDARD_TYPES = {
    NotificationKind.FIRING: "alert.firing",
    NotificationKind.RESOLVED: "alert.resolved",
    NotificationKind.REPEAT: "alert.repeat",
    NotificationKind.DIGEST: "alert.digest",
    NotificationKind.TEST: "test",
}
# Alertmanager's "zero" time for an alert that has not ended.
AM_NOT_ENDED = "0001-01-01T00:00:00Z"


def digests_for(rows: list[Notification], *, now: datetime.datetime) -> dict[int, dict]:
    """The content of each digest row: counts by priority and the most urgent alerts.

    A row whose subscription matches no alert any more is left out (nothing to send).
    """
    from alerts.api.views import URGENCY_ORDER

    adapt = connection.ops.adapt_datetimefield_value
    digests = {}
    for row in rows:
        alerts = Alert.objects.filter(
            pk__in=RawSQL(matching_alert_ids_sql(), [row.subscription_id, adapt(now)])
        ).select_related("asset")
        counts = dict.fromkeys(Priority.values, 0)
        counts.update(alerts.order_by().values_list("priority").annotate(n=Count("id")))
        total = sum(counts.values())
        if total:
            digests[row.pk] = {
                "counts": counts,
                "total": total,
                "alerts": list(alerts.order_by(*URGENCY_ORDER)[:DIGEST_ALERTS]),
            }
    return digests


def subject(row: Notification, *, digest: dict | None = None) -> str:
    """`[CRITICAL] Overdue: Annual overhaul (CONV-003)` and its variants."""
    if row.kind == NotificationKind.TEST:
        return _("[TEST] alertsite notifications work")
    if row.kind == NotificationKind.DIGEST:
        return _("[DIGEST] %(total)d active alert(s), %(critical)d critical") % {
            "total": digest["total"],
            "critical": digest["counts"][Priority.CRITICAL],
        }
    alert = row.alert
    label = _("RESOLVED") if row.kind == NotificationKind.RESOLVED else alert.priority
    text = f"[{label}] {alert.title} ({alert.asset.code})"
    if row.kind == NotificationKind.REPEAT:
        text = f"[{label}] " + _("Still active: %(title)s") % {"title": f"{alert.title} ({alert.asset.code})"}
    return text


def email_message(row: Notification, *, digest: dict | None = None) -> EmailMultiAlternatives:
    """The email of a notice, text and HTML, rendered in the site's language."""
    with translation.override(settings.LANGUAGE_CODE):
        context = {
            "kind": row.kind,
            "alert": row.alert,
            "event": row.event,
            "digest": digest,
            "site_url": settings.SITE_URL,
            "subscription": row.subscription,
        }
        message = EmailMultiAlternatives(
            subject=subject(row, digest=digest),
            body=render_to_string("alerts/notifications/email.txt", context),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[row.subscription.target],
            headers={"X-Alertsite-Notification": row.dedup_key},
        )
        message.attach_alternative(render_to_string("alerts/notifications/email.html", context), "text/html")
    return message


def webhook_body(row: Notification, *, digest: dict | None, now: datetime.datetime) -> bytes:
    """The JSON body of a webhook notice in the subscription's format."""
    with translation.override(settings.LANGUAGE_CODE):
        builder = {
            WebhookFormat.ALERTMANAGER: _alertmanager,
            WebhookFormat.SLACK: _slack,
        }.get(row.subscription.format, _standard)
        body = builder(row, digest=digest, now=now)
    return json.dumps(body, cls=DjangoJSONEncoder, separators=(",", ":")).encode()


def alert_object(alert: Alert) -> dict:
    """The alert object of the API (DESIGN §5)."""
    return dict(AlertSerializer(alert).data)


def event_object(row: Notification) -> dict | None:
    event = row.event
    if event is None:
        return None
    return {
        "id": event.pk,
        "kind": event.kind,
        "at": event.at,
        "actor": event.actor_id,
        "actor_username": event.actor.get_username() if event.actor else None,
        "run": event.run_id,
        "priority": event.priority,
        "note": event.note,
    }


def _standard(row: Notification, *, digest, now) -> dict:
    if row.kind == NotificationKind.DIGEST:
        data = {"alerts": [alert_object(alert) for alert in digest["alerts"]], "counts": digest["counts"]}
    else:
        data = {"alert": alert_object(row.alert) if row.alert else None, "event": event_object(row)}
    return {"type": STANDARD_TYPES[row.kind], "timestamp": now, "data": data}


def _iso(moment: datetime.datetime | None) -> str:
    if moment is None:
        return AM_NOT_ENDED
    return moment.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z")


def _am_alert(alert: Alert, *, resolved: bool) -> dict:
    return {
        "status": "resolved" if resolved else "firing",
        "labels": {
            "alertname": alert.kind,
            "severity": alert.priority.lower(),
            "priority": alert.priority,
            "asset": alert.asset.code,
            "alert_id": str(alert.pk),
        },
        "annotations": {"summary": f"{alert.title} ({alert.asset.code})", "description": alert.message},
        "startsAt": _iso(alert.created_at),
        "endsAt": _iso(alert.resolved_at) if resolved else AM_NOT_ENDED,
        "generatorURL": f"{settings.SITE_URL}/",
        "fingerprint": hashlib.sha256(f"alertsite-alert-{alert.pk}".encode()).hexdigest()[:16],
    }


def _alertmanager(row: Notification, *, digest, now) -> dict:
    """Alertmanager's webhook body, version 4, so existing receivers work unchanged."""
    resolved = row.kind == NotificationKind.RESOLVED
    if row.kind == NotificationKind.DIGEST:
        alerts = [_am_alert(alert, resolved=False) for alert in digest["alerts"]]
    elif row.kind == NotificationKind.TEST:
        alerts = [
            {
                "status": "firing",
                "labels": {"alertname": "AlertsiteTest", "severity": "none"},
                "annotations": {"summary": subject(row)},
                "startsAt": _iso(now),
                "endsAt": AM_NOT_ENDED,
                "generatorURL": f"{settings.SITE_URL}/",
                "fingerprint": hashlib.sha256(row.dedup_key.encode()).hexdigest()[:16],
            }
        ]
    else:
        alerts = [_am_alert(row.alert, resolved=resolved)]
    common = alerts[0]["labels"] if len(alerts) == 1 else {}
    return {
        "version": "4",
        "groupKey": f'{{}}:{{subscription="{row.subscription_id}"}}',
        "truncatedAlerts": digest["total"] - len(alerts) if digest else 0,
        "status": "resolved" if resolved else "firing",
        "receiver": row.subscription.name,
        "groupLabels": {"subscription": str(row.subscription_id)},
        "commonLabels": common,
        "commonAnnotations": alerts[0]["annotations"] if len(alerts) == 1 else {},
        "externalURL": settings.SITE_URL,
        "alerts": alerts,
    }


def _slack(row: Notification, *, digest, now) -> dict:
    """A Slack incoming-webhook body: `text` (the notification's fallback) and `blocks`."""
    title = subject(row, digest=digest)
    if row.kind == NotificationKind.DIGEST:
        lines = [f"• [{alert.priority}] {alert.title} ({alert.asset.code})" for alert in digest["alerts"]]
        detail = "\n".join(lines)
    elif row.alert is not None:
        detail = row.alert.message
    else:
        detail = _("This is a test notification from alertsite.")
    # Slack refuses a section text over 3,000 characters.
    return {
        "text": title,
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": f"*{title}*\n{detail}"[:3000]}},
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": f"<{settings.SITE_URL}/|{_('Open the dashboard')}>"}],
            },
        ],
    }
