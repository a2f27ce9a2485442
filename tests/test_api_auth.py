"""Authentication: JWT token endpoints, their throttle, and `manage.py issue_token`."""

import datetime

import jwt
import pytest
import time_machine
from django.conf import settings
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


# Revocable tokens: rotation, sign-out, password change, a signing key of their own.


def _pair(client, username="manager", password=PASSWORD) -> dict:
    response = client.post("/api/auth/token/", {"username": username, "password": password})
    assert response.status_code == 200, response.content
    return response.json()


def test_refresh_rotates_and_the_old_refresh_token_stops_working(api_client, manager):
    old = _pair(api_client)["refresh"]

    renewed = api_client.post("/api/auth/token/refresh/", {"refresh": old})
    assert renewed.status_code == 200
    new = renewed.json()["refresh"]
    assert new != old

    again = api_client.post("/api/auth/token/refresh/", {"refresh": old})
    assert again.status_code == 401
    assert api_client.post("/api/auth/token/refresh/", {"refresh": new}).status_code == 200


@pytest.mark.parametrize("slash", ["", "/"])
def test_logout_revokes_the_refresh_token(api_client, manager, slash):
    refresh = _pair(api_client)["refresh"]

    response = api_client.post(f"/api/auth/logout{slash}", {"refresh": refresh})

    assert response.status_code == 205
    assert response.content == b""
    refused = api_client.post("/api/auth/token/refresh/", {"refresh": refresh})
    assert refused.status_code == 401
    assert refused.json()["code"] == "token_not_valid"
    assert api_client.post("/api/auth/logout", {"refresh": refresh}).status_code == 401


@pytest.mark.parametrize(
    ("body", "status"),
    [({}, 400), ({"refresh": "not-a-token"}, 401), ({"refresh": 7}, 401)],
)
def test_logout_without_a_valid_refresh_token(api_client, body, status):
    response = api_client.post("/api/auth/logout", body)

    assert response.status_code == status
    assert response.json()


def test_logout_refuses_an_access_token(api_client, manager):
    access = _pair(api_client)["access"]

    assert api_client.post("/api/auth/logout", {"refresh": access}).status_code == 401


def test_a_password_change_revokes_every_token_issued_before(api_client, manager):
    tokens = _pair(api_client)
    manager.set_password("a-new-password-entirely")
    manager.save()

    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    assert api_client.get("/api/alerts").status_code == 401
    api_client.credentials()
    refused = api_client.post("/api/auth/token/refresh/", {"refresh": tokens["refresh"]})
    assert refused.status_code == 401
    fresh = _pair(api_client, password="a-new-password-entirely")
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {fresh['access']}")
    assert api_client.get("/api/alerts").status_code == 200


def test_refresh_token_of_a_deactivated_user_is_refused(api_client, manager):
    refresh = _pair(api_client)["refresh"]
    manager.is_active = False
    manager.save()

    assert api_client.post("/api/auth/token/refresh/", {"refresh": refresh}).status_code == 401


def test_tokens_are_not_signed_with_the_secret_key(api_client, manager):
    from django.conf import settings

    forged = jwt.encode({**_claims_of(_pair(api_client)["access"])}, settings.SECRET_KEY, algorithm="HS256")
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {forged}")

    assert api_client.get("/api/alerts").status_code == 401


# Tokens whose user cannot be found: a 401, never a 500.


def _claims_of(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def _resigned(token: str, **claims) -> str:
    """The token with some claims changed, validly signed with the site's key."""
    from django.conf import settings

    return jwt.encode({**_claims_of(token), **claims}, settings.SIMPLE_JWT["SIGNING_KEY"], algorithm="HS256")


def test_refresh_token_of_a_deleted_user_is_a_401(api_client, manager):
    refresh = _pair(api_client)["refresh"]
    manager.delete()

    response = api_client.post("/api/auth/token/refresh/", {"refresh": refresh})

    assert response.status_code == 401
    assert response.json()["code"] == "user_not_found"


@pytest.mark.parametrize("user_id", ["abc", "1.5", "١", True, 10**30, None, {"id": 1}])
@pytest.mark.parametrize("kind", ["access", "refresh", "logout"])
def test_signed_token_with_a_user_id_that_is_not_a_number_is_a_401(api_client, manager, kind, user_id):
    tokens = _pair(api_client)
    token = _resigned(tokens["refresh" if kind != "access" else "access"], user_id=user_id)

    if kind == "access":
        api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        response = api_client.get("/api/alerts")
    else:
        url = "/api/auth/token/refresh/" if kind == "refresh" else "/api/auth/logout"
        response = api_client.post(url, {"refresh": token})

    assert response.status_code == 401
    assert "detail" in response.json()


# The throttle keys on the client address, not on a header the client writes.


def test_a_new_forwarded_for_per_request_is_still_throttled(api_client, manager):
    for attempt in range(10):
        response = api_client.post(
            "/api/auth/token/",
            {"username": "manager", "password": "guess"},
            HTTP_X_FORWARDED_FOR=f"198.51.100.{attempt}",
        )
        assert response.status_code == 401

    response = api_client.post(
        "/api/auth/token/",
        {"username": "manager", "password": PASSWORD},
        HTTP_X_FORWARDED_FOR="203.0.113.99",
    )

    assert response.status_code == 429


def test_behind_a_trusted_proxy_the_address_it_saw_is_throttled(api_client, manager):
    from rest_framework.settings import api_settings

    with override_settings(REST_FRAMEWORK={**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}):
        assert api_settings.NUM_PROXIES == 1
        for _attempt in range(10):
            api_client.post(
                "/api/auth/token/",
                {"username": "manager", "password": "guess"},
                HTTP_X_FORWARDED_FOR="spoofed, 198.51.100.7",
            )
        other = api_client.post(
            "/api/auth/token/",
            {"username": "manager", "password": PASSWORD},
            HTTP_X_FORWARDED_FOR="198.51.100.8",
        )
        same = api_client.post(
            "/api/auth/token/",
            {"username": "manager", "password": PASSWORD},
            HTTP_X_FORWARDED_FOR="another-spoof, 198.51.100.7",
        )

    assert other.status_code == 200
    assert same.status_code == 429
