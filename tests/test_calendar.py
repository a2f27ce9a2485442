"""The maintenance calendar feed as a calendar app uses it, parsed back with icalendar (DESIGN §15)."""

import datetime
from urllib.parse import urlsplit

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from icalendar import Calendar
from rest_framework_simplejwt.tokens import AccessToken

from maintenance.choices import MaintenanceStatus
from tests.factories import AssetFactory, MaintenanceFactory, UserFactory

NOON_UTC = datetime.datetime(2026, 6, 15, 12, 0, tzinfo=datetime.UTC)
TODAY = datetime.date(2026, 6, 15)

pytestmark = pytest.mark.django_db


def day(offset: int) -> datetime.date:
    return TODAY + datetime.timedelta(days=offset)


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOON_UTC, tick=False):
        yield


@pytest.fixture
def work(technician):
    """The technician's open work inside and outside the window, and others' work."""
    pump = AssetFactory(code="PUMP-001", location="Hall 2")
    other = UserFactory(username="other", groups=["technicians"])
    mine = {
        "first_day": MaintenanceFactory(assigned_to=technician, scheduled_date=day(-30), asset=pump),
        "overdue": MaintenanceFactory(assigned_to=technician, scheduled_date=day(-1), title="Oil change"),
        "today": MaintenanceFactory(
            assigned_to=technician, scheduled_date=day(0), status=MaintenanceStatus.IN_PROGRESS
        ),
        "last_day": MaintenanceFactory(assigned_to=technician, scheduled_date=day(180), title="Overhaul"),
    }
    # Outside the window, or closed: never in the feed.
    MaintenanceFactory(assigned_to=technician, scheduled_date=day(-31))
    MaintenanceFactory(assigned_to=technician, scheduled_date=day(181))
    MaintenanceFactory(assigned_to=technician, scheduled_date=day(2), status=MaintenanceStatus.DONE)
    MaintenanceFactory(assigned_to=technician, scheduled_date=day(3), status=MaintenanceStatus.CANCELLED)
    others = {
        "other": MaintenanceFactory(assigned_to=other, scheduled_date=day(5)),
        "unassigned": MaintenanceFactory(scheduled_date=day(6)),
    }
    return mine, others


def feed_path(client) -> str:
    """The path and query of the signed-in user's calendar_url, as a calendar app would request."""
    response = client.get("/api/me")
    assert response.status_code == 200
    url = urlsplit(response.json()["calendar_url"])
    assert f"{url.scheme}://{url.netloc}" == "http://127.0.0.1:8000"
    return f"{url.path}?{url.query}"


def fetch(client, path: str) -> Calendar:
    # Calendar apps send no Authorization header; they may ask for text/calendar.
    response = client.get(path, headers={"Accept": "text/calendar"})
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return Calendar.from_ical(response.content)


def events(calendar: Calendar) -> dict[str, dict]:
    return {
        str(event["UID"]): {
            "summary": str(event["SUMMARY"]),
            "start": event.decoded("DTSTART"),
            "end": event.decoded("DTEND"),
            "url": str(event["URL"]),
        }
        for event in calendar.walk("VEVENT")
    }


def uid(maintenance) -> str:
    return f"maintenance-{maintenance.pk}@127.0.0.1"


def test_my_open_maintenances_in_the_window_as_all_day_events(client, technician_client, work):
    mine, _others = work

    found = events(fetch(client, feed_path(technician_client)))

    assert set(found) == {uid(m) for m in mine.values()}
    first = found[uid(mine["first_day"])]
    assert first["summary"] == f"[OVERDUE] {mine['first_day'].title} — PUMP-001"
    assert (first["start"], first["end"]) == (day(-30), day(-29))
    assert not isinstance(first["start"], datetime.datetime)  # all-day: a date, no time
    assert found[uid(mine["overdue"])]["summary"].startswith("[OVERDUE] Oil change — ")
    assert not found[uid(mine["today"])]["summary"].startswith("[OVERDUE]")
    assert found[uid(mine["last_day"])]["summary"] == f"Overhaul — {mine['last_day'].asset.code}"
    assert {event["url"] for event in found.values()} == {"http://127.0.0.1:8000/"}


def test_calendar_apps_are_asked_to_poll_hourly(client, technician_client):
    calendar = fetch(client, feed_path(technician_client))

    assert calendar.decoded("REFRESH-INTERVAL") == datetime.timedelta(hours=1)
    assert calendar["X-PUBLISHED-TTL"].to_ical() == b"PT1H"


def test_scope_all_shows_everyones_open_work(client, technician_client, work):
    mine, others = work

    found = events(fetch(client, feed_path(technician_client) + "&scope=all"))

    assert set(found) == {uid(m) for m in [*mine.values(), *others.values()]}


def test_uids_are_stable_across_fetches_and_edits(client, technician_client, work):
    mine, _others = work
    path = feed_path(technician_client)
    first = client.get(path).content

    assert client.get(path).content == first  # nothing changed: the same feed, byte for byte
    mine["overdue"].title = "Oil and filter change"
    mine["overdue"].save()
    found = events(fetch(client, path))

    assert set(found) == {uid(m) for m in mine.values()}
    assert found[uid(mine["overdue"])]["summary"].startswith("[OVERDUE] Oil and filter change — ")


def test_me_shows_the_same_address_until_it_is_replaced(client, technician_client, work):
    old = feed_path(technician_client)
    assert feed_path(technician_client) == old

    response = technician_client.post("/api/me/calendar-token")

    assert response.status_code == 200
    new_url = urlsplit(response.json()["calendar_url"])
    new = f"{new_url.path}?{new_url.query}"
    assert new != old
    assert feed_path(technician_client) == new
    assert client.get(old).status_code == 404
    assert len(events(fetch(client, new))) == 4


def test_local_today_per_time_zone(client, technician_client, technician, settings):
    # 12:00 UTC on June 15 is already June 16 in Auckland: June 15 is overdue there.
    settings.TIME_ZONE = "Pacific/Auckland"
    maintenance = MaintenanceFactory(assigned_to=technician, scheduled_date=day(0), title="Check")
    MaintenanceFactory(assigned_to=technician, scheduled_date=day(-29))  # 30 days before June 16: kept
    MaintenanceFactory(assigned_to=technician, scheduled_date=day(-30))  # 31 days before: left out

    found = events(fetch(client, feed_path(technician_client)))

    assert len(found) == 2
    assert found[uid(maintenance)]["summary"].startswith("[OVERDUE] Check — ")


def test_site_url_names_the_feed_and_the_uids(client, technician_client, technician, settings):
    settings.SITE_URL = "https://alerts.example.com"
    maintenance = MaintenanceFactory(assigned_to=technician, scheduled_date=day(1))

    url = urlsplit(technician_client.get("/api/me").json()["calendar_url"])
    assert (url.scheme, url.netloc, url.path) == ("https", "alerts.example.com", "/api/calendar.ics")
    calendar = fetch(client, f"{url.path}?{url.query}")

    [event] = calendar.walk("VEVENT")
    assert str(event["UID"]) == f"maintenance-{maintenance.pk}@alerts.example.com"
    assert str(event["URL"]) == "https://alerts.example.com/"


class TestTokens:
    def test_bad_tokens_find_no_calendar(self, client, technician_client, manager_client, work):
        path = feed_path(technician_client)
        token = path.split("token=")[1]
        pk, secret = token.split(".")
        manager_pk = feed_path(manager_client).split("token=")[1].split(".")[0]

        for bad in ["", "?token=", "?token=garbage", f"?token={pk}.", f"?token={pk}.{secret[:-1]}",
                    f"?token={pk}.{secret}x", f"?token={manager_pk}.{secret}", f"?token=0.{secret}",
                    f"?token={secret}"]:  # fmt: skip
            response = client.get(f"/api/calendar.ics{bad}")
            assert response.status_code == 404, bad
            assert "detail" in response.json()

    def test_a_token_shows_only_its_owners_work(self, client, technician_client, manager_client, work):
        mine, others = work
        others["other"].assigned_to = manager_client.user
        others["other"].save()

        found = events(fetch(client, feed_path(manager_client)))

        assert set(found) == {uid(others["other"])}

    def test_a_jwt_does_not_open_the_feed(self, client, technician):
        jwt = AccessToken.for_user(technician)

        response = client.get("/api/calendar.ics", headers={"Authorization": f"Bearer {jwt}"})

        assert response.status_code == 404

    def test_the_feed_token_opens_nothing_else(self, client, technician_client):
        token = feed_path(technician_client).split("token=")[1]

        assert client.get("/api/alerts", headers={"Authorization": f"Bearer {token}"}).status_code == 401
        assert client.get(f"/api/alerts?token={token}").status_code == 401
        assert client.get(f"/api/me?token={token}").status_code == 401

    def test_an_inactive_owner_has_no_calendar(self, client, technician_client, technician):
        path = feed_path(technician_client)
        technician.is_active = False
        technician.save()

        assert client.get(path).status_code == 404

    def test_an_owner_who_may_not_view_maintenances_is_refused(self, client):
        from tests.conftest import _client_for

        outsider = UserFactory(username="outsider")
        path = feed_path(_client_for(outsider))

        for scope in ("", "&scope=all"):
            response = client.get(path + scope)
            assert response.status_code == 403
            assert "detail" in response.json()

    def test_rotation_needs_a_signed_in_user(self, client):
        assert client.post("/api/me/calendar-token").status_code == 401


class TestParameters:
    def test_a_bad_scope_is_a_400_naming_it(self, client, technician_client):
        response = client.get(feed_path(technician_client) + "&scope=team")

        assert response.status_code == 400
        assert list(response.json()) == ["scope"]

    def test_an_unknown_parameter_is_a_400_naming_it(self, client, technician_client):
        response = client.get(feed_path(technician_client) + "&days=400")

        assert response.status_code == 400
        assert response.json() == {"days": ["Unknown parameter."]}

    def test_trailing_slash_is_optional(self, client, technician_client):
        path = feed_path(technician_client).replace("calendar.ics?", "calendar.ics/?")

        assert client.get(path).status_code == 200


def test_queries_do_not_grow_with_the_maintenances(client, technician_client, technician):
    path = feed_path(technician_client) + "&scope=all"

    def count(expected_events: int) -> int:
        with CaptureQueriesContext(connection) as captured:
            calendar = fetch(client, path)
        assert len(calendar.walk("VEVENT")) == expected_events
        return len(captured)

    MaintenanceFactory.create_batch(2, assigned_to=technician, scheduled_date=day(1))
    few = count(2)
    MaintenanceFactory.create_batch(30, assigned_to=technician, scheduled_date=day(2))
    MaintenanceFactory.create_batch(10, scheduled_date=day(-3))

    assert count(42) == few <= 3
