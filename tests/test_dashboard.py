"""The dashboard page at `/` and what it needs from the API (`/api/me`); the browser tests are elsewhere."""

import json
import re

import pytest
from django.core.checks import run_checks
from django.test import override_settings

pytestmark = pytest.mark.django_db


def page_config(response) -> dict:
    match = re.search(r'<script id="dashboard-config" type="application/json">(.*?)</script>', response.text)
    return json.loads(match[1])


def test_dashboard_page_offers_sign_in_without_a_session(client):
    response = client.get("/")

    assert response.status_code == 200
    page = response.text
    assert '<html lang="en">' in page
    assert '<label for="username">Username</label>' in page
    assert '<label for="password">Password</label>' in page
    assert 'type="password"' in page


def test_dashboard_loads_only_local_files(client):
    page = client.get("/").text

    assert "://" not in page
    assets = re.findall(r'(?:src|href)="(?!data:)([^"#]+)"', page)
    assert {"/static/alerts/dashboard.css", "/static/alerts/dashboard.js", "/jsi18n/"} <= set(assets)
    for asset in assets:
        response = client.get(asset)
        assert response.status_code == 200, asset


def test_dashboard_config_names_the_api_and_the_refresh_interval(client):
    with override_settings(DASHBOARD_REFRESH_SECONDS=7):
        response = client.get("/")

    config = page_config(response)
    assert config["refreshSeconds"] == 7
    assert "every 7 seconds" in response.text
    assert config["urls"]["me"] == "/api/me"
    assert config["urls"]["alerts"] == "/api/alerts"
    assert config["urls"]["generate"] == "/api/alerts/generate"
    assert config["labels"]["priority"]["CRITICAL"] == "Critical"


def test_filters_offer_every_priority_most_urgent_first_and_every_kind(client):
    page = client.get("/").text

    select = page.split('id="filter-priority"')[1].split("</select>")[0]
    priorities = re.findall(r'<option value="([A-Z]+)">', select)
    assert priorities == ["CRITICAL", "HIGH", "MEDIUM", "LOW"]
    assert '<option value="MAINTENANCE_OVERDUE">Maintenance overdue</option>' in page


@override_settings(DASHBOARD_REFRESH_SECONDS=0)
def test_a_refresh_interval_below_one_second_fails_the_checks():
    assert [error.id for error in run_checks()] == ["alerts.E002"]


@pytest.mark.parametrize("slash", ["", "/"])
def test_me_tells_a_technician_they_may_not_generate(technician_client, slash):
    response = technician_client.get(f"/api/me{slash}")

    assert response.status_code == 200
    me = response.json()
    assert me["username"] == "technician"
    assert me["groups"] == ["technicians"]
    assert me["can_generate"] is False
    assert "alerts.change_alert" in me["permissions"]
    assert "alerts.generate_alerts" not in me["permissions"]


def test_me_tells_a_manager_they_may_generate(manager_client):
    me = manager_client.get("/api/me").json()

    assert me["groups"] == ["managers"]
    assert me["can_generate"] is True
    assert "alerts.generate_alerts" in me["permissions"]


def test_me_for_a_superuser_without_groups(superuser_client):
    me = superuser_client.get("/api/me").json()

    assert me["groups"] == []
    assert me["can_generate"] is True


def test_me_without_a_token_is_a_401(api_client):
    response = api_client.get("/api/me")

    assert response.status_code == 401
    assert response.json() == {"detail": "Authentication credentials were not provided."}
