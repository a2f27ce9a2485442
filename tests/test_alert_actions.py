"""People on alerts through the API: acknowledge, snooze, their events, filters and stats (DESIGN §11)."""

import datetime

import pytest
import time_machine
from django.test import override_settings

from alerts.choices import EventKind, Priority
from alerts.models import Alert, AlertEvent
from alerts.services import generate_alerts
from maintenance.choices import MaintenanceStatus
from maintenance.models import Maintenance
from tests.factories import MaintenanceFactory, UserFactory

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 6, 15, 12, 0, tzinfo=datetime.UTC)
TODAY = NOW.date()
IN_TWO_HOURS = "2026-06-15T14:00:00Z"


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def alert(clock):
    """One active overdue alert (HIGH)."""
    MaintenanceFactory(title="Seal", scheduled_date=TODAY - datetime.timedelta(days=2))
    generate_alerts()
    return Alert.objects.get()


@pytest.fixture
def resolved(alert):
    Maintenance.objects.update(status=MaintenanceStatus.DONE, completed_at=NOW)
    generate_alerts()
    alert.refresh_from_db()
    assert not alert.is_active
    return alert


GENERATION_KINDS = [
    EventKind.CREATED,
    EventKind.ESCALATED,
    EventKind.DEESCALATED,
    EventKind.UPDATED,
    EventKind.RESOLVED,
    EventKind.ASSIGNED,
]


def people_events():
    """Events of people's actions and their lapses: the generation's own are not this file's concern."""
    return AlertEvent.objects.exclude(kind__in=GENERATION_KINDS)


def events(alert) -> list[tuple]:
    return list(
        people_events()
        .filter(alert=alert)
        .order_by("id")
        .values_list("kind", "actor__username", "priority", "note", "at", "run")
    )


def post(client, alert, action, body=None):
    return client.post(f"/api/alerts/{alert.pk}/{action}", body, format="json")


def test_acknowledge_marks_the_alert_acknowledged_and_read_once(technician_client, technician, alert):
    response = post(technician_client, alert, "acknowledge", {"note": "On my way"})

    assert response.status_code == 200
    body = response.json()
    assert (body["acknowledged_at"], body["acknowledged_by"]) == ("2026-06-15T12:00:00Z", technician.pk)
    assert body["is_read"] is True and body["read_at"] == "2026-06-15T12:00:00Z"
    assert events(alert) == [
        (EventKind.ACKNOWLEDGED, "technician", Priority.HIGH, "On my way", NOW, None),
        (EventKind.READ, "technician", Priority.HIGH, "", NOW, None),
    ]

    again = post(technician_client, alert, "acknowledge", {"note": "Still on it"})

    assert again.status_code == 200
    assert again.json() == body
    assert len(events(alert)) == 2


def test_acknowledge_without_a_body_and_unacknowledge(technician_client, manager_client, alert, clock):
    assert post(technician_client, alert, "acknowledge").status_code == 200
    clock.shift(datetime.timedelta(minutes=5))

    response = post(manager_client, alert, "unacknowledge")

    assert response.status_code == 200
    assert (response.json()["acknowledged_at"], response.json()["acknowledged_by"]) == (None, None)
    # Still read: unacknowledging is not marking unread.
    assert response.json()["is_read"] is True
    assert events(alert)[-1] == (
        EventKind.UNACKNOWLEDGED,
        "manager",
        Priority.HIGH,
        "",
        NOW + datetime.timedelta(minutes=5),
        None,
    )
    assert post(manager_client, alert, "unacknowledge").status_code == 200
    assert [kind for kind, *_ in events(alert)] == [
        EventKind.ACKNOWLEDGED,
        EventKind.READ,
        EventKind.UNACKNOWLEDGED,
    ]


def test_acknowledging_a_read_alert_writes_no_read_event(technician_client, alert):
    technician_client.post(f"/api/alerts/{alert.pk}/read")

    post(technician_client, alert, "acknowledge")

    # The READ is the explicit read's; acknowledging adds no second one.
    assert [kind for kind, *_ in events(alert)] == [EventKind.READ, EventKind.ACKNOWLEDGED]


def test_snooze_until_a_time_then_unsnooze(technician_client, alert, clock):
    response = post(technician_client, alert, "snooze", {"until": IN_TWO_HOURS, "reason": "Parts on order"})

    assert response.status_code == 200
    assert (response.json()["snoozed_until"], response.json()["snooze_reason"]) == (
        IN_TWO_HOURS,
        "Parts on order",
    )
    # Snoozed is not read, not acknowledged, and still in the list.
    assert response.json()["is_read"] is False and response.json()["acknowledged_at"] is None
    assert [a["id"] for a in technician_client.get("/api/alerts").json()] == [alert.pk]
    assert events(alert) == [(EventKind.SNOOZED, "technician", Priority.HIGH, "Parts on order", NOW, None)]

    same = post(
        technician_client, alert, "snooze", {"until": "2026-06-15T16:00:00+02:00", "reason": "Parts on order"}
    )
    assert same.status_code == 200 and len(events(alert)) == 1
    later = post(technician_client, alert, "snooze", {"until": "2026-06-16T09:00:00Z"})
    assert later.json()["snoozed_until"] == "2026-06-16T09:00:00Z" and later.json()["snooze_reason"] == ""
    assert len(events(alert)) == 2

    clock.shift(datetime.timedelta(minutes=1))
    woken = post(technician_client, alert, "unsnooze")

    assert woken.status_code == 200
    assert (woken.json()["snoozed_until"], woken.json()["snooze_reason"]) == (None, "")
    assert events(alert)[-1][:4] == (EventKind.UNSNOOZED, "technician", Priority.HIGH, "")
    assert post(technician_client, alert, "unsnooze").status_code == 200
    assert len(events(alert)) == 3


def test_a_snooze_stops_counting_the_moment_until_passes(technician_client, alert, clock):
    post(technician_client, alert, "snooze", {"until": "2026-06-15T12:20:00Z", "reason": "Later"})
    clock.move_to(datetime.datetime(2026, 6, 15, 12, 19, 59, tzinfo=datetime.UTC))
    assert ids(technician_client, "snoozed=true") == [alert.pk]
    assert technician_client.get("/api/alerts/stats").json()["snoozed"] == 1

    clock.move_to(datetime.datetime(2026, 6, 15, 12, 20, tzinfo=datetime.UTC))

    # No lapse has run: the row still holds the snooze, but it no longer counts.
    assert Alert.objects.get().snoozed_until is not None
    assert ids(technician_client, "snoozed=true") == []
    assert ids(technician_client, "snoozed=false") == [alert.pk]
    assert technician_client.get("/api/alerts/stats").json()["snoozed"] == 0
    shown = technician_client.get(f"/api/alerts/{alert.pk}").json()
    assert (shown["snoozed_until"], shown["snooze_reason"]) == (None, "")
    # Unsnoozing a snooze that has passed is harmless; the periodic run records it expired.
    assert post(technician_client, alert, "unsnooze").status_code == 200
    assert [kind for kind, *_ in events(alert)] == [EventKind.SNOOZED]


@pytest.mark.parametrize(
    ("action", "body"),
    [
        ("acknowledge", {"note": "On it"}),
        ("unacknowledge", None),
        ("snooze", {"until": IN_TWO_HOURS}),
        ("unsnooze", None),
    ],
)
def test_acting_on_a_resolved_alert_is_a_409_and_writes_nothing(technician_client, resolved, action, body):
    before = Alert.objects.values().get(pk=resolved.pk)
    count = people_events().count()

    response = post(technician_client, resolved, action, body)

    assert response.status_code == 409
    assert "resolved" in response.json()["detail"]
    assert Alert.objects.values().get(pk=resolved.pk) == before
    assert people_events().count() == count


@pytest.mark.parametrize("action", ["acknowledge", "unacknowledge", "snooze", "unsnooze"])
@pytest.mark.parametrize("pk", ["999999", "99999999999999999999999"])
def test_an_unknown_alert_is_a_404(technician_client, alert, action, pk):
    response = technician_client.post(f"/api/alerts/{pk}/{action}", {"until": IN_TWO_HOURS}, format="json")

    assert response.status_code == 404
    assert response.json()["detail"]


@pytest.mark.parametrize(
    ("action", "body", "field"),
    [
        ("snooze", {}, "until"),
        ("snooze", {"until": "tomorrow"}, "until"),
        ("snooze", {"until": "2026-06-15 14:00"}, "until"),  # naive
        ("snooze", {"until": "2026-06-15T14:00:00"}, "until"),  # naive
        ("snooze", {"until": "0001-01-01T00:00:00Z"}, "until"),  # far past
        ("snooze", {"until": "2026-06-15T12:00:00Z"}, "until"),  # now is not the future
        ("snooze", {"until": "10000-01-01T00:00:00Z"}, "until"),
        ("snooze", {"until": "9999-12-31T23:59:59-01:00"}, "until"),
        ("snooze", {"until": "2026-07-15T12:00:01Z"}, "until"),  # more than 30 days ahead
        ("snooze", {"until": "2026-13-01T00:00:00Z"}, "until"),
        ("snooze", {"until": 1781524800}, "until"),
        ("snooze", {"until": None}, "until"),
        ("snooze", {"until": IN_TWO_HOURS, "reason": ""}, "reason"),
        ("snooze", {"until": IN_TWO_HOURS, "reason": "   "}, "reason"),
        ("snooze", {"until": IN_TWO_HOURS, "reason": "x" * 10_000}, "reason"),
        ("snooze", {"until": IN_TWO_HOURS, "reason": "a\x00b"}, "reason"),
        ("acknowledge", {"note": ""}, "note"),
        ("acknowledge", {"note": "x" * 10_000}, "note"),
        ("acknowledge", {"note": None}, "note"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_writes_nothing(
    technician_client, alert, action, body, field
):
    before = Alert.objects.values().get(pk=alert.pk)

    response = post(technician_client, alert, action, body)

    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert response.json()[field][0]
    assert Alert.objects.values().get(pk=alert.pk) == before
    assert not people_events().exists()


def test_the_longest_snooze_follows_the_setting(technician_client, alert):
    thirty_days = "2026-07-15T12:00:00Z"
    with override_settings(ALERTS={**settings_alerts(), "MAX_SNOOZE_DAYS": 2}):
        refused = post(technician_client, alert, "snooze", {"until": thirty_days})
    assert refused.status_code == 400 and "2 days" in refused.json()["until"][0]

    assert post(technician_client, alert, "snooze", {"until": thirty_days}).status_code == 200


def settings_alerts() -> dict:
    from django.conf import settings

    return dict(settings.ALERTS)


def test_a_user_without_a_role_may_not_act(alert):
    from tests.conftest import _client_for

    client = _client_for(UserFactory(username="nobody"))
    for action in ("acknowledge", "unacknowledge", "snooze", "unsnooze"):
        assert post(client, alert, action, {"until": IN_TWO_HOURS}).status_code == 403
    assert not people_events().exists()


# Filters and stats.


def ids(client, query: str) -> list[int]:
    response = client.get(f"/api/alerts?{query}")
    assert response.status_code == 200, response.content
    return sorted(row["id"] for row in response.json())


@pytest.fixture
def three_alerts(clock, technician):
    """Assigned to the technician, to someone else, and to nobody (set as the generation will)."""
    other = UserFactory(username="other")
    for days in (1, 2, 3):
        MaintenanceFactory(scheduled_date=TODAY - datetime.timedelta(days=days))
    generate_alerts()
    mine, theirs, nobodys = Alert.objects.order_by("id")
    Alert.objects.filter(pk=mine.pk).update(assignee=technician)
    Alert.objects.filter(pk=theirs.pk).update(assignee=other)
    return mine, theirs, nobodys, other


def test_assignee_filter(technician_client, manager_client, technician, three_alerts):
    mine, theirs, nobodys, other = three_alerts

    assert ids(technician_client, "assignee=me") == [mine.pk]
    assert ids(manager_client, "assignee=me") == []
    assert ids(manager_client, f"assignee={other.pk}") == [theirs.pk]
    assert ids(manager_client, "assignee=none") == [nobodys.pk]
    assert ids(manager_client, "assignee=") == [mine.pk, theirs.pk, nobodys.pk]
    listed = {row["id"]: row for row in manager_client.get("/api/alerts").json()}
    assert (listed[mine.pk]["assignee"], listed[mine.pk]["assignee_username"]) == (
        technician.pk,
        "technician",
    )
    assert listed[nobodys.pk]["assignee_username"] is None


@pytest.mark.parametrize("value", ["someone", "-1", "0", "1.5", "99999999999999999999999", "me,none"])
def test_a_bad_assignee_is_a_400_naming_it(manager_client, three_alerts, value):
    response = manager_client.get("/api/alerts", {"assignee": value})

    assert response.status_code == 400
    assert list(response.json()) == ["assignee"]


def test_snoozed_filter_and_a_bad_value(technician_client, three_alerts):
    mine, theirs, nobodys, _other = three_alerts
    post(technician_client, theirs, "snooze", {"until": IN_TWO_HOURS})

    assert ids(technician_client, "snoozed=true") == [theirs.pk]
    assert ids(technician_client, "snoozed=false") == [mine.pk, nobodys.pk]
    assert technician_client.get("/api/alerts?snoozed=maybe").json() == {"snoozed": ["Enter true or false."]}


def test_stats_count_acknowledged_snoozed_and_unassigned_active_alerts(technician_client, three_alerts):
    mine, theirs, nobodys, _other = three_alerts
    post(technician_client, mine, "acknowledge")
    post(technician_client, theirs, "acknowledge")
    post(technician_client, theirs, "snooze", {"until": IN_TWO_HOURS})

    stats = technician_client.get("/api/alerts/stats").json()

    assert (stats["acknowledged"], stats["snoozed"], stats["unassigned"]) == (2, 1, 1)
    assert (stats["total"], stats["unread"]) == (3, 1)
    # Over active alerts only.
    Alert.objects.filter(pk=theirs.pk).update(is_active=False, resolved_at=NOW)
    stats = technician_client.get("/api/alerts/stats").json()
    assert (stats["acknowledged"], stats["snoozed"], stats["unassigned"]) == (1, 0, 1)


def test_the_schema_documents_every_answer_of_every_action(schema_document):
    paths = schema_document["paths"]
    for action in ("acknowledge", "unacknowledge", "snooze", "unsnooze"):
        responses = paths[f"/api/alerts/{{id}}/{action}/"]["post"]["responses"]
        assert {"200", "401", "403", "404", "409"} <= set(responses), action
        assert responses["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/Alert")
    for action in ("acknowledge", "snooze"):
        assert "400" in paths[f"/api/alerts/{{id}}/{action}/"]["post"]["responses"]
    snooze = schema_document["components"]["schemas"]["SnoozeRequest"]
    assert snooze["required"] == ["until"]
    assert snooze["properties"]["until"]["format"] == "date-time"
    list_params = {p["name"] for p in paths["/api/alerts/"]["get"]["parameters"]}
    assert {"assignee", "snoozed"} <= list_params
    stats = schema_document["components"]["schemas"]["AlertStats"]
    assert {"acknowledged", "snoozed", "unassigned"} <= set(stats["properties"])


@pytest.fixture
def schema_document(api_client):
    response = api_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json()
