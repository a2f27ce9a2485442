"""Authentication: JWT token endpoints, their throttle, and `manage.py issue_token`."""

import datetime

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.test import override_settings

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"  # tests.factories.UserFactory's


@pytest.mark.parametrize("slash", ["", "/"])
def test_token_pair_from_username_and_password(api_client, manager, slash):
    response = api_client.post(f"/api/auth/token{slash}", {"username": "manager", "password": PASSWORD})

    assert response.status_code == 200
    tokens = response.json()
    assert set(tokens) == {"access", "refresh"}
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    assert api_client.get("/api/alerts").status_code == 200


@pytest.mark.parametrize("slash", ["", "/"])
def test_refresh_gives_a_new_access_token(api_client, manager, slash):
    refresh = api_client.post("/api/auth/token/", {"username": "manager", "password": PASSWORD}).json()[
        "refresh"
    ]

    response = api_client.post(f"/api/auth/token/refresh{slash}", {"refresh": refresh})

    assert response.status_code == 200
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")
    assert api_client.get("/api/alerts").status_code == 200


def test_wrong_password_is_a_json_401(api_client, manager):
    response = api_client.post("/api/auth/token/", {"username": "manager", "password": "guess"})

    assert response.status_code == 401
    assert response.json() == {"detail": "No active account found with the given credentials"}


def test_missing_credentials_are_a_400_per_field(api_client):
    response = api_client.post("/api/auth/token/", {})

    assert response.status_code == 400
    assert set(response.json()) == {"username", "password"}


def test_token_endpoint_is_throttled(api_client, manager):
    for _attempt in range(10):
        assert (
            api_client.post("/api/auth/token/", {"username": "manager", "password": "guess"}).status_code
            == 401
        )

    response = api_client.post("/api/auth/token/", {"username": "manager", "password": PASSWORD})

    assert response.status_code == 429
    assert "throttled" in response.json()["detail"]
    assert int(response["Retry-After"]) > 0


def test_other_endpoints_are_not_throttled(manager_client):
    for _attempt in range(15):
        assert manager_client.get("/api/alerts/stats").status_code == 200


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer", "Bearer not-a-token", "Token abc", "Basic bWFuYWdlcjpjb3JyZWN0"],
)
def test_missing_or_bad_token_is_a_401(api_client, authorization):
    if authorization:
        api_client.credentials(HTTP_AUTHORIZATION=authorization)

    response = api_client.get("/api/alerts")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert "detail" in response.json()


def test_expired_access_token_is_a_401(manager_client):
    with time_machine.travel(datetime.datetime.now(tz=datetime.UTC) + datetime.timedelta(minutes=31)):
        response = manager_client.get("/api/alerts")

    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"


def test_token_of_a_deactivated_user_is_refused(manager_client, manager):
    manager.is_active = False
    manager.save()

    assert manager_client.get("/api/alerts").status_code == 401


# CORS: a dashboard served elsewhere, only from the configured origins.


def test_no_cross_origin_access_by_default(manager_client):
    response = manager_client.get("/api/alerts", HTTP_ORIGIN="https://dashboard.example.com")

    assert "Access-Control-Allow-Origin" not in response


def test_configured_origin_may_call_the_api(api_client):
    with override_settings(CORS_ALLOWED_ORIGINS=["https://dashboard.example.com"]):
        response = api_client.options(
            "/api/alerts",
            HTTP_ORIGIN="https://dashboard.example.com",
            HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
            HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization",
        )

    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "https://dashboard.example.com"
    assert "authorization" in response["Access-Control-Allow-Headers"]


# manage.py issue_token


def test_issue_token_prints_a_working_access_token(api_client, technician, capsys):
    call_command("issue_token", "technician")

    token = capsys.readouterr().out.strip()
    assert token.count(".") == 2
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert api_client.get("/api/alerts").status_code == 200


def test_issue_token_refuses_an_unknown_user():
    with pytest.raises(CommandError, match="No user named 'nobody'"):
        call_command("issue_token", "nobody")


def test_issue_token_refuses_an_inactive_user():
    UserFactory(username="gone", is_active=False)

    with pytest.raises(CommandError, match="inactive"):
        call_command("issue_token", "gone")
