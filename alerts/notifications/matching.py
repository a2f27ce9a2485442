"""Which alerts a subscription wants, and when its quiet hours end: the rules, in one place.

The match is one SQL condition over a subscription `s`, an alert `a` and its
asset `ast`, shared by the enqueue of events, the repeats, the digests and the
digest's content, so they can never disagree.
"""

import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection
from django.db.models import F, Q

from alerts.choices import RANKS, Priority, SubscriptionMode
from alerts.models import Alert, AlertEvent, Notification, Subscription
from assets.models import Asset

TABLES = {
    "subscription": Subscription._meta.db_table,
    "notification": Notification._meta.db_table,
    "alert": Alert._meta.db_table,
    "event": AlertEvent._meta.db_table,
    "asset": Asset._meta.db_table,
}


def rank_sql(column: str) -> str:
    """The rank (1 LOW … 4 CRITICAL) of a priority column."""
    whens = " ".join(f"WHEN '{priority}' THEN {rank}" for priority, rank in RANKS.items())
    return f"CASE {column} {whens} ELSE 0 END"


def match_sql(*, rank: str) -> str:
    """The condition "subscription `s` wants alert `a` (asset `ast`) at priority rank `rank`"."""
    if connection.vendor == "postgresql":
        kinds = "(s.kinds = '[]'::jsonb OR s.kinds @> jsonb_build_array(a.kind))"
        contains = "STRPOS(UPPER(ast.location), UPPER(s.location)) > 0"
    else:
        kinds = (
            "(json_array_length(s.kinds) = 0 "
            "OR EXISTS (SELECT 1 FROM json_each(s.kinds) WHERE json_each.value = a.kind))"
        )
        contains = "INSTR(UPPER(ast.location), UPPER(s.location)) > 0"
    return (
        f"s.is_active AND ({rank}) >= ({rank_sql('s.min_priority')}) "
        "AND (NOT s.assigned_to_me OR a.assignee_id = s.user_id) "
        f"AND (s.location = '' OR {contains}) AND {kinds}"
    )


def not_snoozed_sql() -> str:
    """`a` is not snoozed at the statement's `%s` (now)."""
    return "(a.snoozed_until IS NULL OR a.snoozed_until <= %s)"


def matching_alert_ids_sql() -> str:
    """Ids of the active, unsnoozed alerts subscription `%s` wants at `%s` (now): a digest's content."""
    return (
        f"SELECT a.id FROM {TABLES['alert']} a JOIN {TABLES['asset']} ast ON ast.id = a.asset_id "
        f"JOIN {TABLES['subscription']} s ON s.id = %s "
        f"WHERE a.is_active AND {not_snoozed_sql()} AND {match_sql(rank='a.priority_rank')}"
    )


def local_now(now: datetime.datetime) -> datetime.datetime:
    return now.astimezone(ZoneInfo(settings.TIME_ZONE))


def quiet_ends(*, now: datetime.datetime) -> dict[int, datetime.datetime]:
    """The IMMEDIATE subscriptions inside their quiet hours at `now`, with when those end.

    Quiet hours are local times `[quiet_from, quiet_until)`; `quiet_from` after
    `quiet_until` spans midnight (22:00–07:00). One query; only the
    subscriptions quiet right now come back.
    """
    local = local_now(now)
    at = local.time().replace(tzinfo=None)
    same_day = Q(quiet_from__lte=F("quiet_until")) & Q(quiet_from__lte=at, quiet_until__gt=at)
    overnight = Q(quiet_from__gt=F("quiet_until")) & (Q(quiet_from__lte=at) | Q(quiet_until__gt=at))
    quiet = Subscription.objects.filter(
        same_day | overnight, is_active=True, mode=SubscriptionMode.IMMEDIATE, quiet_from__isnull=False
    ).values_list("id", "quiet_until")
    ends = {}
    for pk, until in quiet:
        day = local.date() if at < until else local.date() + datetime.timedelta(days=1)
        ends[pk] = datetime.datetime.combine(day, until, tzinfo=local.tzinfo).astimezone(datetime.UTC)
    return ends


def due_at_sql(*, now: datetime.datetime, priority: str) -> tuple[str, list]:
    """SQL for an IMMEDIATE notice's first due time: now, or the end of the quiet hours.

    CRITICAL notices (by the `priority` column) never wait.
    """
    adapt = connection.ops.adapt_datetimefield_value
    ends = quiet_ends(now=now)
    if not ends:
        return "%s", [adapt(now)]
    whens, params = [], []
    for pk, end in ends.items():
        whens.append("WHEN %s THEN %s")
        params += [pk, adapt(end)]
    sql = (
        f"CASE WHEN {priority} = '{Priority.CRITICAL}' THEN %s "
        f"ELSE CASE s.id {' '.join(whens)} ELSE %s END END"
    )
    return sql, [adapt(now), *params, adapt(now)]
