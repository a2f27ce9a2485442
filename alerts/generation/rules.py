"""The alert rules of DESIGN §3, as database queries.

Each rule is one queryset whose rows are the alerts that should be active
now, all with the same columns (see `DESIRED_COLUMNS`). Their union is the
desired set that `alerts.generation.merge` merges into the table, so
the work stays in the database whatever the size of the fleet.
"""

import datetime
import string
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import models
from django.db.models import Case, Exists, F, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Cast, Coalesce, Left, TruncDate
from django.utils.translation import gettext as _

from alerts.choices import RANKS, AlertKind, Priority
from assets.choices import AssetStatus, Criticality
from assets.models import Asset
from maintenance.choices import MaintenanceStatus
from maintenance.models import Maintenance

DESIRED_COLUMNS = (
    "kind",
    "asset_id",
    "maintenance_id",
    "priority",
    "priority_rank",
    "title",
    "message",
    "due_date",
    "assignee_id",
)
TITLE_MAX_LENGTH = 255


@dataclass(frozen=True)
class Thresholds:
    """Day counts of the rules, from `settings.ALERTS`."""

    due_soon_days: int
    due_urgent_days: int
    overdue_critical_days: int

    @classmethod
    def from_settings(cls) -> "Thresholds":
        conf = settings.ALERTS
        return cls(
            due_soon_days=conf["DUE_SOON_DAYS"],
            due_urgent_days=conf["DUE_URGENT_DAYS"],
            overdue_critical_days=conf["OVERDUE_CRITICAL_DAYS"],
        )


class DaysBetween(models.Func):
    """Whole days from the date `start` to the date `end`.

    Django's duration arithmetic cannot multiply a column by a day on SQLite,
    so the two supported databases get their own plain date difference.
    """

    arity = 2
    output_field = models.IntegerField()

    def as_sql(self, compiler, connection, **extra_context):
        (start_sql, start_params), (end_sql, end_params) = (
            compiler.compile(expression) for expression in self.source_expressions
        )
        return f"({end_sql} - {start_sql})", (*end_params, *start_params)

    def as_sqlite(self, compiler, connection, **extra_context):
        (start_sql, start_params), (end_sql, end_params) = (
            compiler.compile(expression) for expression in self.source_expressions
        )
        return (
            f"CAST(julianday({end_sql}) - julianday({start_sql}) AS INTEGER)",
            (*end_params, *start_params),
        )


def format_expr(template: str, **fields: models.Expression) -> models.Expression:
    """A translated `str.format` template rendered by the database.

    `format_expr(_("Overdue: {title}"), title=F("title"))` becomes
    `'Overdue: ' || title`, so messages are built set-based, in the
    configured language, without a Python loop over rows.
    """
    parts: list[models.Expression] = []
    for literal, name, _spec, _conv in string.Formatter().parse(template):
        if literal:
            parts.append(Value(literal))
        if name is not None:
            parts.append(Cast(fields[name], output_field=models.TextField()))
    if len(parts) == 1:
        return Cast(parts[0], output_field=models.TextField())
    return ConcatText(*parts)


class ConcatText(models.Func):
    """`a || b || …`: Django's Concat wraps every part in COALESCE, which the
    rules do not need (their columns are never NULL) and which costs time on
    a million rows."""

    template = "(%(expressions)s)"
    arg_joiner = " || "
    output_field = models.TextField()


def _priority(*whens: tuple[Q, str], default: str) -> tuple[Case, Case]:
    """A priority chosen by the first matching condition, and its rank."""

    def case(value_of, field):
        return Case(
            *[When(condition, then=Value(value_of(priority))) for condition, priority in whens],
            default=Value(value_of(default)),
            output_field=field,
        )

    return case(str, models.CharField()), case(RANKS.__getitem__, models.SmallIntegerField())


def _desired(queryset: models.QuerySet, **columns: models.Expression) -> models.QuerySet:
    """Project a queryset onto the desired-alert columns, in their order."""
    aliases = {f"desired_{name}": columns[name] for name in DESIRED_COLUMNS}
    return queryset.order_by().annotate(**aliases).values_list(*aliases)


def _maintenance_columns(kind: str, priority: tuple[Case, Case], title: str, message: str) -> dict:
    fields = {
        "title": F("title"),
        "asset_code": F("asset__code"),
        "asset_name": F("asset__name"),
        "date": F("scheduled_date"),
    }
    return {
        "kind": Value(kind, output_field=models.CharField()),
        "asset_id": F("asset_id"),
        "maintenance_id": F("id"),
        "priority": priority[0],
        "priority_rank": priority[1],
        "title": Left(format_expr(title, **fields), TITLE_MAX_LENGTH),
        "message": format_expr(message, **fields),
        "due_date": F("scheduled_date"),
        "assignee_id": F("assigned_to_id"),
    }


def overdue(*, today: datetime.date, thresholds: Thresholds) -> models.QuerySet:
    """MAINTENANCE_OVERDUE: open work whose date has passed."""
    critical_before = today - datetime.timedelta(days=thresholds.overdue_critical_days)
    priority = _priority(
        (
            Q(scheduled_date__lte=critical_before) | Q(asset__criticality=Criticality.CRITICAL),
            Priority.CRITICAL,
        ),
        default=Priority.HIGH,
    )
    queryset = Maintenance.objects.filter(
        status__in=MaintenanceStatus.open_statuses(), scheduled_date__lt=today
    ).exclude(asset__status=AssetStatus.RETIRED)
    return _desired(
        queryset,
        **_maintenance_columns(
            AlertKind.MAINTENANCE_OVERDUE,
            priority,
            title=_("Overdue: {title}"),
            message=_('{asset_code} {asset_name}: "{title}" was scheduled for {date} and is not done.'),
        ),
    )


def due_soon(*, today: datetime.date, thresholds: Thresholds) -> models.QuerySet:
    """MAINTENANCE_DUE_SOON: planned work within the next days."""
    urgent_until = today + datetime.timedelta(days=thresholds.due_urgent_days)
    priority = _priority(
        (Q(scheduled_date__lte=urgent_until) | Q(asset__criticality=Criticality.CRITICAL), Priority.HIGH),
        default=Priority.MEDIUM,
    )
    queryset = Maintenance.objects.filter(
        status=MaintenanceStatus.PLANNED,
        scheduled_date__gte=today,
        scheduled_date__lte=today + datetime.timedelta(days=thresholds.due_soon_days),
    ).exclude(asset__status=AssetStatus.RETIRED)
    return _desired(
        queryset,
        **_maintenance_columns(
            AlertKind.MAINTENANCE_DUE_SOON,
            priority,
            title=_("Due soon: {title}"),
            message=_('{asset_code} {asset_name}: "{title}" is scheduled for {date}.'),
        ),
    )


def asset_needs_maintenance(*, today: datetime.date, tz: ZoneInfo) -> models.QuerySet:
    """ASSET_NEEDS_MAINTENANCE: a degraded asset, or one past its preventive interval."""
    open_work = Maintenance.objects.filter(asset=OuterRef("pk"), status__in=MaintenanceStatus.open_statuses())
    last_done_at = (
        Maintenance.objects.filter(
            asset=OuterRef("pk"), status=MaintenanceStatus.DONE, completed_at__isnull=False
        )
        .order_by("-completed_at")
        .values("completed_at")[:1]
    )
    queryset = (
        Asset.objects.exclude(status=AssetStatus.RETIRED)
        .annotate(
            last_done_on=Coalesce(
                TruncDate(Subquery(last_done_at, output_field=models.DateTimeField()), tzinfo=tz),
                F("commissioned_on"),
                TruncDate("created_at", tzinfo=tz),
                output_field=models.DateField(),
            ),
            days_since_done=DaysBetween(F("last_done_on"), Value(today, output_field=models.DateField())),
        )
        .filter(
            Q(status__in=[AssetStatus.NEEDS_MAINTENANCE, AssetStatus.OUT_OF_SERVICE])
            | Q(
                Q(maintenance_interval_days__isnull=False),
                ~Exists(open_work),
                days_since_done__gt=F("maintenance_interval_days"),
            )
        )
    )
    priority = _priority(
        (
            Q(status=AssetStatus.OUT_OF_SERVICE, criticality__in=[Criticality.LOW, Criticality.MEDIUM]),
            Priority.HIGH,
        ),
        *[(Q(criticality=level), level) for level in (Criticality.LOW, Criticality.MEDIUM, Criticality.HIGH)],
        default=Priority.CRITICAL,
    )
    fields = {
        "asset_code": F("code"),
        "asset_name": F("name"),
        "interval": F("maintenance_interval_days"),
        "date": F("last_done_on"),
    }
    message = Case(
        When(
            status=AssetStatus.OUT_OF_SERVICE,
            then=format_expr(_("{asset_code} {asset_name} is out of service."), **fields),
        ),
        When(
            status=AssetStatus.NEEDS_MAINTENANCE,
            then=format_expr(_("{asset_code} {asset_name} is reported as needing maintenance."), **fields),
        ),
        default=format_expr(
            _(
                "{asset_code} {asset_name}: no maintenance since {date}, longer than its "
                "{interval}-day interval, and none is planned."
            ),
            **fields,
        ),
        output_field=models.TextField(),
    )
    return _desired(
        queryset,
        kind=Value(AlertKind.ASSET_NEEDS_MAINTENANCE, output_field=models.CharField()),
        asset_id=F("id"),
        maintenance_id=Value(None, output_field=models.BigIntegerField()),
        priority=priority[0],
        priority_rank=priority[1],
        title=Left(format_expr(_("{asset_code} needs maintenance"), **fields), TITLE_MAX_LENGTH),
        message=message,
        due_date=Value(None, output_field=models.DateField()),
        assignee_id=F("owner_id"),
    )


def desired_alerts(
    *, today: datetime.date, thresholds: Thresholds, tz: ZoneInfo, asset_ids: list[int] | None = None
) -> models.QuerySet:
    """Union of every rule: the alerts that should be active on `today`."""
    overdue_qs = overdue(today=today, thresholds=thresholds)
    due_soon_qs = due_soon(today=today, thresholds=thresholds)
    asset_qs = asset_needs_maintenance(today=today, tz=tz)
    if asset_ids is not None:
        overdue_qs = overdue_qs.filter(asset_id__in=asset_ids)
        due_soon_qs = due_soon_qs.filter(asset_id__in=asset_ids)
        asset_qs = asset_qs.filter(pk__in=asset_ids)
    return overdue_qs.union(due_soon_qs, asset_qs, all=True)
