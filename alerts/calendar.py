"""The maintenance calendar feed and its per-user token (DESIGN §15).

`GET /api/calendar.ics?token=<pk>.<secret>`: one all-day event per open
maintenance from 30 days ago to 180 days ahead (local dates), for the token's
owner (`scope=mine`) or everyone (`scope=all`). The token is looked up by its
public part (the row id) and its secret compared in constant time, so the
time of a refusal says nothing about how much of a guessed secret was right.
"""

import datetime
import hmac
import secrets
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, Event, vDuration

from alerts.models import CalendarToken
from maintenance.choices import MaintenanceStatus
from maintenance.models import Maintenance

DAYS_BACK = 30
DAYS_AHEAD = 180
SCOPES = ("mine", "all")
# Calendar apps poll; this is the interval they are asked to keep.
REFRESH_INTERVAL = datetime.timedelta(hours=1)
# What the feed shows; the same permission lists every maintenance in the API.
VIEW_PERMISSION = "maintenance.view_maintenance"


def _new_secret() -> str:
    return secrets.token_urlsafe(32)


def _token_string(token: CalendarToken) -> str:
    return f"{token.pk}.{token.secret}"


def calendar_token(*, user: AbstractBaseUser) -> str:
    """The user's feed token, created on first use."""
    token, _created = CalendarToken.objects.get_or_create(
        user=user, defaults={"secret": _new_secret(), "created_at": timezone.now()}
    )
    return _token_string(token)


def rotate_calendar_token(*, user: AbstractBaseUser) -> str:
    """Replace the user's feed token; the old address stops working at once."""
    token, _created = CalendarToken.objects.update_or_create(
        user=user, defaults={"secret": _new_secret(), "created_at": timezone.now()}
    )
    return _token_string(token)


def calendar_url(token: str) -> str:
    """The feed's public address (SITE_URL), to paste into a calendar app."""
    return f"{settings.SITE_URL}{reverse('calendar-feed')}?{urlencode({'token': token})}"


def calendar_owner(token: str) -> AbstractBaseUser | None:
    """The active user a feed token belongs to, or None for any other string. One query."""
    pk, dot, secret = token.partition(".")
    if not (dot and pk.isascii() and pk.isdigit() and len(pk) <= 18 and secret):
        return None
    row = CalendarToken.objects.select_related("user").filter(pk=int(pk)).first()
    if row is None or not hmac.compare_digest(secret.encode(), row.secret.encode()):
        return None
    return row.user if row.user.is_active else None


def calendar_maintenances(*, user: AbstractBaseUser, scope: str, today: datetime.date) -> QuerySet:
    """Open maintenances in the feed's window, the user's own unless `scope` is `all`."""
    maintenances = Maintenance.objects.filter(
        status__in=MaintenanceStatus.open_statuses(),
        scheduled_date__gte=today - datetime.timedelta(days=DAYS_BACK),
        scheduled_date__lte=today + datetime.timedelta(days=DAYS_AHEAD),
    )
    if scope != "all":
        maintenances = maintenances.filter(assigned_to=user)
    return maintenances.select_related("asset", "assigned_to").order_by("scheduled_date", "id")


def build_calendar(maintenances, *, scope: str, today: datetime.date) -> bytes:
    """RFC 5545 text: one all-day event per maintenance, with a UID that never changes."""
    host = urlsplit(settings.SITE_URL).hostname or "alertsite"
    dashboard = f"{settings.SITE_URL}{reverse('dashboard')}"
    calendar = Calendar()
    calendar.add("prodid", "-//alertsite//Maintenance calendar//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", _("My maintenances") if scope != "all" else _("All maintenances"))
    calendar.add("refresh-interval", REFRESH_INTERVAL, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(REFRESH_INTERVAL))
    for maintenance in maintenances:
        calendar.add_component(_event(maintenance, host=host, dashboard=dashboard, today=today))
    return calendar.to_ical()


def _event(maintenance: Maintenance, *, host: str, dashboard: str, today: datetime.date) -> Event:
    asset = maintenance.asset
    overdue = maintenance.scheduled_date < today
    summary = f"{maintenance.title} — {asset.code}"
    details = [
        f"{asset.code} — {asset.name}",
        f"{_('Kind')}: {maintenance.get_kind_display()}",
        f"{_('Status')}: {maintenance.get_status_display()}",
    ]
    if maintenance.assigned_to is not None:
        details.append(f"{_('Assigned to')}: {maintenance.assigned_to.get_username()}")
    if maintenance.description:
        details += ["", maintenance.description]
    details += ["", dashboard]

    event = Event()
    event.add("uid", f"maintenance-{maintenance.pk}@{host}")
    event.add("summary", f"[OVERDUE] {summary}" if overdue else summary)
    event.add("dtstart", maintenance.scheduled_date)
    event.add("dtend", maintenance.scheduled_date + datetime.timedelta(days=1))
    # Without a METHOD, DTSTAMP is when the event last changed (RFC 5545 §3.8.7.2):
    # a feed fetched twice without a change is the same feed.
    event.add("dtstamp", maintenance.updated_at)
    event.add("last-modified", maintenance.updated_at)
    event.add("created", maintenance.created_at)
    event.add("description", "\n".join(details))
    if asset.location:
        event.add("location", asset.location)
    event.add("categories", [maintenance.kind])
    event.add("url", dashboard)
    # A day of work on the calendar, not a day the technician is busy all day long.
    event.add("transp", "TRANSPARENT")
    return event
