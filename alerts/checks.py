"""System checks of the alerts app: catch a bad schedule at deploy time, not at 3 a.m."""

from django.conf import settings
from django.core.checks import Error, register

from alerts.scheduling import InvalidSchedule, validate_schedule


@register()
def check_alert_schedule(app_configs, **kwargs) -> list[Error]:
    """`ALERTS_SCHEDULE` must be a schedule system cron runs (and `crontab add` installs)."""
    try:
        validate_schedule(settings.ALERTS["SCHEDULE"])
    except InvalidSchedule as error:
        return [
            Error(
                f"ALERTS_SCHEDULE is not a valid cron schedule: {error}",
                hint="Five fields: minute hour day-of-month month day-of-week, e.g. '*/5 * * * *' "
                "(every 5 minutes), '0 * * * *' (hourly at :00), '0 9-17 * * mon-fri'.",
                id="alerts.E001",
            )
        ]
    return []


@register()
def check_notify_schedule(app_configs, **kwargs) -> list[Error]:
    """`ALERTS_NOTIFY_SCHEDULE` must be a schedule system cron runs, like `ALERTS_SCHEDULE`."""
    try:
        validate_schedule(settings.ALERTS["NOTIFY_SCHEDULE"])
    except InvalidSchedule as error:
        return [
            Error(
                f"ALERTS_NOTIFY_SCHEDULE is not a valid cron schedule: {error}",
                hint="Five fields, e.g. '* * * * *' (every minute, the default).",
                id="alerts.E003",
            )
        ]
    return []


@register()
def check_dashboard_refresh(app_configs, **kwargs) -> list[Error]:
    """`DASHBOARD_REFRESH_SECONDS` below one second would have every open dashboard hammer the API."""
    if settings.DASHBOARD_REFRESH_SECONDS < 1:
        return [
            Error(
                f"DASHBOARD_REFRESH_SECONDS is {settings.DASHBOARD_REFRESH_SECONDS}; it must be 1 or more.",
                hint="Seconds between two automatic refreshes of the dashboard (default 30).",
                id="alerts.E002",
            )
        ]
    return []


@register()
def check_people_on_alerts(app_configs, **kwargs) -> list[Error]:
    """The acknowledgement timeout and the longest snooze (DESIGN §11) must make sense."""
    errors = []
    if settings.ALERTS["ACK_TIMEOUT_HOURS"] < 0:
        errors.append(
            Error(
                f"ALERTS_ACK_TIMEOUT_HOURS is {settings.ALERTS['ACK_TIMEOUT_HOURS']}; it must be 0 or more.",
                hint="Hours after which an acknowledgement lapses (default 24; 0 = never).",
                id="alerts.E013",
            )
        )
    if settings.ALERTS["MAX_SNOOZE_DAYS"] < 1:
        errors.append(
            Error(
                f"ALERTS_MAX_SNOOZE_DAYS is {settings.ALERTS['MAX_SNOOZE_DAYS']}; it must be 1 or more.",
                hint="How many days ahead an alert may be snoozed at most (default 30).",
                id="alerts.E014",
            )
        )
    return errors
