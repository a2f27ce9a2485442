"""Notifications (DESIGN §12): who gets what, once; delivery to a real HTTP receiver and SMTP server."""

import datetime
import email
import email.policy
import json

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from standardwebhooks.webhooks import Webhook

from alerts.choices import RANKS, AlertKind, EventKind, NotificationKind, NotificationStatus, Priority
from alerts.models import Alert, AlertEvent, Notification, Subscription
from alerts.notifications import services, transport
from alerts.notifications.selectors import outbox_status
from tests.factories import AssetFactory, UserFactory
from tests.notify_receivers import receiver, smtp_server  # noqa: F401 (fixtures)

NOW = datetime.datetime(2026, 6, 15, 12, 0, tzinfo=datetime.UTC)
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def private_webhooks(settings):
    # The receivers run on loopback.
    settings.NOTIFY_ALLOW_PRIVATE_WEBHOOKS = True


def make_alert(*, priority=Priority.CRITICAL, kind=AlertKind.MAINTENANCE_OVERDUE, asset=None, **fields):
    asset = asset or AssetFactory(code="CONV-003", location="Plant A, hall 2")
    return Alert.objects.create(
        kind=kind,
        priority=priority,
        priority_rank=RANKS[priority],
        asset=asset,
        title="Overdue: Annual overhaul",
        message="CONV-003 Conveyor: overdue.",
        created_at=NOW,
        updated_at=NOW,
        **fields,
    )


def event(alert, kind=EventKind.CREATED, priority=None):
    """An event as the generation writes it (CREATED with the alert's priority)."""
    return AlertEvent.objects.create(alert=alert, kind=kind, at=NOW, priority=priority or alert.priority)


def subscribe(user=None, **fields):
    user = user or UserFactory()
    fields.setdefault("channel", "EMAIL")
    fields.setdefault("target", user.email)
    if fields["channel"] == "WEBHOOK":
        fields.setdefault("secret", services.new_secret())
    return Subscription.objects.create(user=user, name=fields.pop("name", "mine"), **fields)


def enqueue(*events):
    return services.enqueue_notifications(events=AlertEvent.objects.filter(pk__in=[e.pk for e in events]))


def notices(**filters):
    return list(Notification.objects.filter(**filters).order_by("id"))


# --- Who gets what ------------------------------------------------------------------------------


def test_min_priority_kinds_assigned_to_me_and_location_select_the_subscribers():
    technician = UserFactory(username="tech")
    alert = make_alert(priority=Priority.HIGH, assignee=technician)
    wants = [
        subscribe(name="default HIGH"),
        subscribe(name="kinds", kinds=[AlertKind.MAINTENANCE_OVERDUE]),
        subscribe(technician, name="mine", assigned_to_me=True),
        subscribe(name="location", location="plant a"),
    ]
    subscribe(name="critical only", min_priority=Priority.CRITICAL)
    subscribe(name="other kind", kinds=[AlertKind.MAINTENANCE_DUE_SOON])
    subscribe(name="someone else's", assigned_to_me=True)
    subscribe(name="other place", location="Plant B")
    subscribe(name="inactive", is_active=False)
    subscribe(name="digest", mode="DIGEST")

    assert enqueue(event(alert)) == len(wants)
    assert {n.subscription_id for n in notices()} == {s.pk for s in wants}
    assert {n.kind for n in notices()} == {NotificationKind.FIRING}


def test_an_event_is_enqueued_once_whatever_runs_again():
    subscription = subscribe()
    created = event(make_alert())
    assert enqueue(created) == 1
    assert enqueue(created) == 0
    assert [n.dedup_key for n in notices()] == [f"evt-{created.pk}-sub-{subscription.pk}"]


def test_only_firing_and_resolved_events_notify_resolved_only_where_asked():
    email = subscribe(name="email")
    hook = subscribe(name="hook", channel="WEBHOOK", target="http://127.0.0.1/ok", send_resolved=True)
    alert = make_alert()
    enqueue(
        event(alert, EventKind.UPDATED),
        event(alert, EventKind.READ),
        event(alert, EventKind.ACKNOWLEDGED),
        event(alert, EventKind.RESOLVED),
    )
    assert [(n.subscription_id, n.kind) for n in notices()] == [(hook.pk, NotificationKind.RESOLVED)]
    enqueue(event(alert, EventKind.UNSNOOZED), event(alert, EventKind.ESCALATED))
    assert len(notices(subscription=email, kind=NotificationKind.FIRING)) == 2


def test_enqueue_query_count_does_not_grow_with_subscriptions_and_alerts():
    def run(size):
        for index in range(size):
            subscribe(name=f"s{index}")
        events = [event(make_alert(asset=AssetFactory())) for _ in range(size)]
        with CaptureQueriesContext(connection) as queries:
            count = enqueue(*events)
        return count, len(queries)

    small = run(2)
    Notification.objects.all().delete()
    large = run(12)
    assert large[1] == small[1]
    assert large[0] > small[0]


def test_quiet_hours_across_midnight_defer_all_but_critical(settings):
    settings.TIME_ZONE = "Europe/Paris"
    subscribe(name="quiet", quiet_from=datetime.time(22, 0), quiet_until=datetime.time(7, 0))
    with time_machine.travel(datetime.datetime(2026, 6, 15, 21, 30, tzinfo=datetime.UTC), tick=False):
        # 23:30 in Paris: inside the quiet hours, which end at 07:00 the next morning (05:00 UTC).
        enqueue(event(make_alert(priority=Priority.HIGH)), event(make_alert(asset=AssetFactory())))
    high, critical = notices()
    assert high.next_attempt_at == datetime.datetime(2026, 6, 16, 5, 0, tzinfo=datetime.UTC)
    assert critical.next_attempt_at == datetime.datetime(2026, 6, 15, 21, 30, tzinfo=datetime.UTC)


def test_outside_quiet_hours_a_notice_is_due_at_once():
    subscribe(quiet_from=datetime.time(22, 0), quiet_until=datetime.time(7, 0))
    enqueue(event(make_alert(priority=Priority.HIGH)))
    assert notices()[0].next_attempt_at == NOW


# --- Delivery -----------------------------------------------------------------------------------


def test_email_goes_to_a_real_smtp_server_once_with_the_subject_of_design(smtp_server):  # noqa: F811
    subscribe(target="manager@example.com")
    enqueue(event(make_alert()))
    services.send_notifications()
    services.send_notifications()
    assert len(smtp_server.messages) == 1
    message = smtp_server.messages[0]
    assert message.rcpt_tos == ["manager@example.com"]
    content = message.content.decode()
    assert "Subject: [CRITICAL] Overdue: Annual overhaul (CONV-003)" in content
    assert "text/html" in content
    assert notices()[0].status == NotificationStatus.SENT


def test_a_french_email_spaces_its_colons_as_french_does(smtp_server, settings):  # noqa: F811
    settings.LANGUAGE_CODE = "fr"
    subscribe(target="manager@example.com")
    enqueue(event(make_alert()))
    services.send_notifications()

    message = email.message_from_bytes(smtp_server.messages[0].content, policy=email.policy.default)
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "Priorité : CRITICAL" in text and "Équipement : CONV-003" in text
    assert "<strong>Priorité :</strong>" in html


def test_emails_of_a_batch_share_one_smtp_connection(smtp_server):  # noqa: F811
    for index in range(5):
        subscribe(name=f"s{index}")
    enqueue(event(make_alert()))
    services.send_notifications()
    assert len(smtp_server.messages) == 5
    assert len(smtp_server.sessions) == 1


def test_webhook_is_signed_and_verifies_with_standardwebhooks(receiver):  # noqa: F811
    hook = subscribe(channel="WEBHOOK", target=f"{receiver.url}/ok")
    alert = make_alert()
    created = event(alert)
    enqueue(created)
    services.send_notifications()
    (request,) = receiver.to("/ok")
    body = Webhook(hook.secret).verify(request["body"], request["headers"])
    assert request["headers"]["webhook-id"] == f"evt-{created.pk}-sub-{hook.pk}"
    assert body["type"] == "alert.firing"
    assert body["data"]["alert"]["id"] == alert.pk
    assert body["data"]["event"]["kind"] == "CREATED"
    with pytest.raises(Exception, match="signature"):
        Webhook(services.new_secret()).verify(request["body"], request["headers"])


def test_alertmanager_and_slack_bodies(receiver):  # noqa: F811
    subscribe(name="am", channel="WEBHOOK", format="alertmanager", target=f"{receiver.url}/ok?f=am")
    subscribe(name="slack", channel="WEBHOOK", format="slack", target=f"{receiver.url}/ok?f=slack")
    enqueue(event(make_alert()))
    services.send_notifications()
    bodies = {r["path"]: json.loads(r["body"]) for r in receiver.requests}
    am = bodies["/ok?f=am"]
    assert am["version"] == "4" and am["status"] == "firing" and am["receiver"] == "am"
    assert am["alerts"][0]["labels"]["alertname"] == AlertKind.MAINTENANCE_OVERDUE
    assert am["alerts"][0]["endsAt"] == "0001-01-01T00:00:00Z"
    slack = bodies["/ok?f=slack"]
    assert slack["text"] == "[CRITICAL] Overdue: Annual overhaul (CONV-003)"
    assert slack["blocks"][0]["type"] == "section"


def test_a_failure_is_retried_with_backoff_then_succeeds_with_the_same_webhook_id(receiver, clock):  # noqa: F811
    subscribe(channel="WEBHOOK", target=f"{receiver.url}/flaky")
    enqueue(event(make_alert()))
    services.send_notifications()
    (notice,) = notices()
    assert notice.status == NotificationStatus.FAILED and notice.response_status == 500
    assert "HTTP 500" in notice.last_error
    wait = notice.next_attempt_at - NOW
    assert datetime.timedelta(seconds=50) <= wait <= datetime.timedelta(seconds=70)
    services.send_notifications()
    assert len(receiver.to("/flaky")) == 1  # not due yet
    clock.shift(datetime.timedelta(minutes=2))
    services.send_notifications()
    first, second = receiver.to("/flaky")
    assert first["headers"]["webhook-id"] == second["headers"]["webhook-id"]
    notice.refresh_from_db()
    assert (notice.status, notice.attempts, notice.response_status) == (NotificationStatus.SENT, 2, 200)


def test_backoff_doubles_and_is_capped_at_an_hour():
    assert [round(services.backoff(n).total_seconds() / 60) for n in (1, 2, 3)] == [1, 2, 4]
    assert services.backoff(9) <= datetime.timedelta(hours=1)
    assert services.backoff(20) <= datetime.timedelta(hours=1)


def test_after_max_attempts_a_notice_is_dead_and_shows_in_the_health(receiver, clock, settings):  # noqa: F811
    settings.NOTIFY_MAX_ATTEMPTS = 3
    subscribe(channel="WEBHOOK", target=f"{receiver.url}/fail")
    enqueue(event(make_alert()))
    for _ in range(3):
        services.send_notifications()
        clock.shift(datetime.timedelta(hours=1))
    (notice,) = notices()
    assert notice.status == NotificationStatus.DEAD and notice.attempts == 3
    assert outbox_status()["dead_last_24h"] == 1


def test_garbage_redirects_and_hangs_fail_while_the_others_are_delivered(receiver, monkeypatch):  # noqa: F811
    monkeypatch.setattr(transport, "TIMEOUT_SECONDS", 0.5)
    for path in ("/redirect", "/hang", "/ok"):
        subscribe(name=path, channel="WEBHOOK", target=f"{receiver.url}{path}")
    subscribe(name="nobody", channel="WEBHOOK", target="http://127.0.0.1:1/closed")
    enqueue(event(make_alert()))
    services.send_notifications()
    by_name = {n.subscription.name: n for n in notices()}
    assert by_name["/ok"].status == NotificationStatus.SENT
    for name in ("/redirect", "/hang", "nobody"):
        assert by_name[name].status == NotificationStatus.FAILED, name
    assert by_name["/redirect"].response_status == 302


def test_410_gone_deactivates_the_subscription(receiver):  # noqa: F811
    hook = subscribe(channel="WEBHOOK", target=f"{receiver.url}/gone")
    enqueue(event(make_alert()))
    services.send_notifications()
    hook.refresh_from_db()
    assert not hook.is_active
    assert notices()[0].status == NotificationStatus.DEAD
    enqueue(event(make_alert(asset=AssetFactory())))
    assert len(notices()) == 1


def test_private_targets_are_refused_at_send_time(receiver, settings):  # noqa: F811
    subscribe(channel="WEBHOOK", target=f"{receiver.url}/ok")
    enqueue(event(make_alert()))
    settings.NOTIFY_ALLOW_PRIVATE_WEBHOOKS = False
    services.send_notifications()
    assert receiver.requests == []
    assert "private, loopback or link-local" in notices()[0].last_error


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1/x", "http://10.1.2.3/", "http://169.254.169.254/", "http://[::1]/"]
)
def test_ssrf_rule(url, settings):
    settings.NOTIFY_ALLOW_PRIVATE_WEBHOOKS = False
    with pytest.raises(transport.UnsafeURL):
        transport.check_url(url)


def test_a_notice_for_an_alert_acknowledged_meanwhile_is_cancelled(smtp_server):  # noqa: F811
    subscribe()
    alert = make_alert()
    enqueue(event(alert))
    Alert.objects.filter(pk=alert.pk).update(acknowledged_at=NOW)
    services.send_notifications()
    assert notices()[0].status == NotificationStatus.CANCELLED
    assert smtp_server.messages == []


def test_snoozed_or_resolved_meanwhile_is_cancelled_but_resolved_notices_go(receiver):  # noqa: F811
    subscribe(channel="WEBHOOK", target=f"{receiver.url}/ok", send_resolved=True)
    snoozed, resolved = make_alert(), make_alert(asset=AssetFactory())
    enqueue(event(snoozed), event(resolved))
    Alert.objects.filter(pk=snoozed.pk).update(snoozed_until=NOW + datetime.timedelta(hours=1))
    Alert.objects.filter(pk=resolved.pk).update(is_active=False, resolved_at=NOW)
    enqueue(event(resolved, EventKind.RESOLVED))
    services.send_notifications()
    assert [n.status for n in notices()] == [NotificationStatus.CANCELLED] * 2 + [NotificationStatus.SENT]
    assert json.loads(receiver.requests[0]["body"])["type"] == "alert.resolved"


# --- Repeats and digests ------------------------------------------------------------------------


def test_repeats_after_repeat_hours_only_while_unacknowledged_and_unsnoozed(smtp_server, clock):  # noqa: F811
    subscribe(repeat_hours=4)
    alert = make_alert()
    enqueue(event(alert))
    services.send_notifications()
    clock.shift(datetime.timedelta(hours=3, minutes=59))
    services.send_notifications()
    assert len(smtp_server.messages) == 1
    clock.shift(datetime.timedelta(minutes=1))
    services.send_notifications()
    services.send_notifications()
    assert len(smtp_server.messages) == 2
    assert "Still active" in smtp_server.messages[1].content.decode()
    clock.shift(datetime.timedelta(hours=4))
    Alert.objects.filter(pk=alert.pk).update(snoozed_until=NOW + datetime.timedelta(days=1))
    services.send_notifications()
    Alert.objects.filter(pk=alert.pk).update(snoozed_until=None, acknowledged_at=NOW)
    services.send_notifications()
    assert len(smtp_server.messages) == 2
    Alert.objects.filter(pk=alert.pk).update(acknowledged_at=None)
    services.send_notifications()
    assert len(smtp_server.messages) == 3
    assert [n.kind for n in notices()] == ["FIRING", "REPEAT", "REPEAT"]


def test_one_digest_per_local_day_with_counts_and_only_when_something_matches(receiver, clock):  # noqa: F811
    hook = subscribe(mode="DIGEST", channel="WEBHOOK", target=f"{receiver.url}/ok", min_priority="LOW")
    services.send_notifications()  # 12:00, after 07:00: nothing matches, no digest
    assert notices() == []
    alert = make_alert()
    make_alert(priority=Priority.LOW, asset=AssetFactory())
    enqueue(event(alert))
    assert notices() == []  # a digest subscriber gets no immediate notice
    services.send_notifications()
    services.send_notifications()
    (request,) = receiver.requests
    body = Webhook(hook.secret).verify(request["body"], request["headers"])
    assert body["type"] == "alert.digest"
    assert body["data"]["counts"] == {"LOW": 1, "MEDIUM": 0, "HIGH": 0, "CRITICAL": 1}
    assert [a["priority"] for a in body["data"]["alerts"]] == ["CRITICAL", "LOW"]
    clock.shift(datetime.timedelta(hours=18))  # 06:00 the next day: before digest_at
    services.send_notifications()
    assert len(receiver.requests) == 1
    clock.shift(datetime.timedelta(hours=1))
    services.send_notifications()
    assert len(receiver.requests) == 2
    assert {n.dedup_key for n in notices()} == {f"dig-{hook.pk}-2026-06-15", f"dig-{hook.pk}-2026-06-16"}


# --- The command and the health -----------------------------------------------------------------


def test_dry_run_counts_and_sends_nothing(smtp_server, capsys):  # noqa: F811
    subscribe()
    enqueue(event(make_alert()))
    call_command("send_notifications", "--dry-run")
    assert "1 notification(s) due" in capsys.readouterr().out
    assert smtp_server.messages == []
    call_command("send_notifications")
    assert "1 sent" in capsys.readouterr().out


def test_outbox_status_degrades_when_a_due_notice_waits_over_ten_minutes(clock):
    subscribe()
    enqueue(event(make_alert()))
    assert outbox_status() == {
        "pending": 1,
        "oldest_pending_seconds": 0,
        "dead_last_24h": 0,
        "degraded": False,
    }
    clock.shift(datetime.timedelta(minutes=11))
    status = outbox_status()
    assert status["oldest_pending_seconds"] == 660 and status["degraded"]
