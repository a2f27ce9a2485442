"""The admin login is rate-limited per account and per client address (django-axes)."""

import pytest
from django.core.management import call_command
from django.test import Client

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"  # tests.factories.UserFactory's
LOGIN = "/admin/login/?next=/admin/"


def log_in(client: Client, username: str, password: str, address: str = "192.0.2.10"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address)


def signed_in(client: Client, address: str = "192.0.2.10") -> bool:
    return client.get("/admin/", REMOTE_ADDR=address).status_code == 200


def test_right_password_after_thirty_wrong_ones_does_not_log_in(client, manager):
    for _attempt in range(30):
        log_in(client, "manager", "guess")

    response = log_in(client, "manager", PASSWORD)

    assert response.status_code == 429
    assert not signed_in(client)


def test_the_lock_out_page_says_what_happened(client, manager):
    for _attempt in range(4):
        assert log_in(client, "manager", "guess").status_code == 200  # the form again, with its error
    assert log_in(client, "manager", "guess").status_code == 429  # the fifth failure locks

    response = log_in(client, "manager", PASSWORD)

    assert response.status_code == 429
    text = response.content.decode()
    assert "Sign-in locked" in text
    assert "after 5 failures, this account or this address is locked" in text
    assert "Try again later, or ask an administrator to unlock it." in text


def test_the_account_is_locked_from_every_address(client, manager):
    for attempt in range(5):
        log_in(client, "manager", "guess", address=f"198.51.100.{attempt}")

    assert log_in(client, "manager", PASSWORD, address="203.0.113.1").status_code == 429
    assert not signed_in(client, address="203.0.113.1")


def test_the_address_is_locked_for_every_account(client, manager, superuser):
    for attempt in range(5):
        log_in(client, f"guess-{attempt}", "guess")

    assert log_in(client, "admin", PASSWORD).status_code == 429
    assert not signed_in(client)


def test_forwarded_for_does_not_give_a_new_address(client, superuser):
    for attempt in range(5):
        client.post(
            LOGIN,
            {"username": f"guess-{attempt}", "password": "guess"},
            HTTP_X_FORWARDED_FOR=f"198.51.100.{attempt}",
        )

    response = client.post(
        LOGIN, {"username": "admin", "password": PASSWORD}, HTTP_X_FORWARDED_FOR="203.0.113.9"
    )

    assert response.status_code == 429


def test_fewer_failures_than_the_limit_then_the_right_password_logs_in(client, manager):
    for _attempt in range(4):
        log_in(client, "manager", "guess")

    response = log_in(client, "manager", PASSWORD)

    assert response.status_code == 302
    assert signed_in(client)


@pytest.mark.parametrize(
    ("command", "args"),
    [("axes_reset", []), ("axes_reset_username", ["manager"])],
)
def test_an_operator_unlocks_with_a_management_command(client, manager, command, args):
    for _attempt in range(5):
        log_in(client, "manager", "guess")
    assert log_in(client, "manager", PASSWORD).status_code == 429

    call_command(command, *args)

    assert log_in(client, "manager", PASSWORD).status_code == 302
    assert signed_in(client)


def test_api_token_login_is_not_locked_by_admin_failures(api_client, manager):
    client = Client()
    for _attempt in range(5):
        log_in(client, "manager", "guess", address="127.0.0.1")

    response = api_client.post("/api/auth/token/", {"username": "manager", "password": PASSWORD})

    assert response.status_code == 200
    assert set(response.json()) == {"access", "refresh"}
    wrong = api_client.post("/api/auth/token/", {"username": "manager", "password": "guess"})
    assert wrong.status_code == 401
