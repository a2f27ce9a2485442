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
from django.db.models.lookups import GreaterThanOrEqual
from django.utils.formats import get_format
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
    meter_due_soon_percent: int = 10
    meter_overdue_critical_percent: int = 10

    @classmethod
    def from_settings(cls) -> "Thresholds":
        conf = settings.ALERTS
        return cls(
            due_soon_days=conf["DUE_SOON_DAYS"],
            due_urgent_days=conf["DUE_URGENT_DAYS"],
            overdue_critical_days=conf["OVERDUE_CRITICAL_DAYS"],
            meter_due_soon_percent=conf["METER_DUE_SOON_PERCENT"],
            meter_overdue_critical_percent=conf["METER_OVERDUE_CRITICAL_PERCENT"],
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


class NumberText(models.Func):
    """A meter value as text in the active language's number format (`4,980.5` in English,
    `4 980,5` in French), rendered by the database like the rest of a message."""

    arity = 1
    output_field = models.TextField()

    def _localized(self, sql: str, params: tuple) -> tuple[str, tuple]:
        # Swapped through a placeholder, so "," → "." and "." → "," can both happen.
        thousands, decimal = get_format("THOUSAND_SEPARATOR"), get_format("DECIMAL_SEPARATOR")
        return (
            f"REPLACE(REPLACE(REPLACE({sql}, ',', %s), '.', %s), %s, %s)",
            (*params, "\x01", decimal, "\x01", thousands),
        )

    def as_sql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        # FM drops the fraction's trailing zeros, leaving "4,980." for a whole number.
        return self._localized(f"RTRIM(TO_CHAR({sql}, 'FM999,999,999,999,990.999'), '.')", params)

    def as_sqlite(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        text = (
            f"(PRINTF('%%,d', CAST({sql} AS INTEGER)) || RTRIM(RTRIM(SUBSTR("
            f"PRINTF('%%.3f', {sql} - CAST({sql} AS INTEGER)), 2), '0'), '.'))"
        )
        return self._localized(text, (*params, *params, *params))


@dataclass(frozen=True)
class MeterSide:
    """The meter side of the maintenance rules (DESIGN §14): conditions on occurrences of meter plans.

    Compared without division (`latest × 100 ≥ due × 100 − interval × percent`),
    so the thresholds are exact on both databases, whatever the interval.
    """

    due_soon: Q
    overdue: Q
    overdue_critical: Q

    @classmethod
    def of(cls, thresholds: Thresholds) -> "MeterSide":
        latest = F("plan__meter__last_value") * 100
        due = F("due_meter_value") * 100
        interval = F("plan__meter_interval")
        metered = Q(due_meter_value__isnull=False, plan__meter__last_value__isnull=False)

        def reached(threshold: models.Expression) -> Q:
            return metered & Q(GreaterThanOrEqual(latest, threshold))

        return cls(
            due_soon=reached(due - interval * thresholds.meter_due_soon_percent),
            overdue=reached(due),
            overdue_critical=reached(due + interval * thresholds.meter_overdue_critical_percent),
        )


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


def _meter_message(columns: dict, *, meter_decides: Q, template: str) -> dict:
    """`columns` whose message names the meter reading where the meter side decides the alert."""
    fields = {
        "title": F("title"),
        "asset_code": F("asset__code"),
        "asset_name": F("asset__name"),
        "value": NumberText(F("plan__meter__last_value")),
        "due": NumberText(F("due_meter_value")),
        "unit": F("plan__meter__unit"),
    }
    message = Case(
        When(meter_decides, then=format_expr(template, **fields)),
        default=columns["message"],
        output_field=models.TextField(),
    )
    return {**columns, "message": message}


def overdue(*, today: datetime.date, thresholds: Thresholds) -> models.QuerySet:
    """MAINTENANCE_OVERDUE: open work whose date has passed, or whose meter reached its due value."""
    critical_before = today - datetime.timedelta(days=thresholds.overdue_critical_days)
    meter = MeterSide.of(thresholds)
    late = Q(scheduled_date__lt=today)
    critical_asset = Q(asset__criticality=Criticality.CRITICAL)
    priority = _priority(
        (Q(scheduled_date__lte=critical_before) | critical_asset | meter.overdue_critical, Priority.CRITICAL),
        default=Priority.HIGH,
    )
    queryset = (
        Maintenance.objects.filter(status__in=MaintenanceStatus.open_statuses())
        .filter(late | meter.overdue)
        .exclude(asset__status=AssetStatus.RETIRED)
    )
    columns = _maintenance_columns(
        AlertKind.MAINTENANCE_OVERDUE,
        priority,
        title=_("Overdue: {title}"),
        message=_('{asset_code} {asset_name}: "{title}" was scheduled for {date} and is not done.'),
    )
    # The date decides unless only the meter is late, or only the meter makes it critical.
    meter_decides = meter.overdue & (
        ~late | (meter.overdue_critical & ~Q(scheduled_date__lte=critical_before) & ~critical_asset)
    )
    return _desired(
        queryset,
        **_meter_message(
            columns,
            meter_decides=meter_decides,
            template=_('{asset_code} {asset_name}: "{title}" is overdue at {value} {unit} of {due} {unit}.'),
        ),
    )


def due_soon(*, today: datetime.date, thresholds: Thresholds) -> models.QuerySet:
    """MAINTENANCE_DUE_SOON: planned work within the next days, or open work whose meter nears its
    due value; never for work that is overdue by date or meter (the higher kind wins)."""
    urgent_until = today + datetime.timedelta(days=thresholds.due_urgent_days)
    meter = MeterSide.of(thresholds)
    by_date = Q(
        status=MaintenanceStatus.PLANNED,
        scheduled_date__gte=today,
        scheduled_date__lte=today + datetime.timedelta(days=thresholds.due_soon_days),
    )
    priority = _priority(
        (
            (by_date & Q(scheduled_date__lte=urgent_until)) | Q(asset__criticality=Criticality.CRITICAL),
            Priority.HIGH,
        ),
        default=Priority.MEDIUM,
    )
    queryset = (
        Maintenance.objects.filter(status__in=MaintenanceStatus.open_statuses())
        .filter(by_date | meter.due_soon)
        .exclude(Q(scheduled_date__lt=today) | meter.overdue)
        .exclude(asset__status=AssetStatus.RETIRED)
    )
    columns = _maintenance_columns(
        AlertKind.MAINTENANCE_DUE_SOON,
        priority,
        title=_("Due soon: {title}"),
        message=_('{asset_code} {asset_name}: "{title}" is scheduled for {date}.'),
    )
    return _desired(
        queryset,
        **_meter_message(
            columns,
            meter_decides=~by_date,
            template=_(
                '{asset_code} {asset_name}: "{title}" is due soon, at {value} {unit} of {due} {unit}.'
            ),
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
