"""Cross-cutting API behaviour: JSON errors, database failures, routes, the renderer."""

import datetime
import decimal
import json
import uuid

import pytest
from django.db import IntegrityError, OperationalError
from django.utils.translation import gettext_lazy
from hypothesis import given, settings
from hypothesis import strategies as st
from rest_framework.renderers import JSONRenderer

from alerts.api import views as alert_views
from alertsite.api.renderers import ORJSONRenderer
from assets.api.views import AssetViewSet

pytestmark = pytest.mark.django_db


def test_unknown_api_address_is_a_json_404(manager_client):
    response = manager_client.get("/api/no-such-thing")

    assert response.status_code == 404
    assert response.json() == {"detail": "No API endpoint at this address."}


def test_non_numeric_alert_id_is_not_routed(manager_client):
    # Named routes such as alerts/scheduler live beside the numeric ids.
    assert manager_client.get("/api/alerts/latest").status_code == 404


def test_pages_outside_the_api_keep_their_html_404(client):
    response = client.get("/no-such-page")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_method_not_allowed_is_json(manager_client):
    response = manager_client.delete("/api/alerts/stats")

    assert response.status_code == 405
    assert response.json() == {"detail": 'Method "DELETE" not allowed.'}


def test_unreachable_database_is_a_json_503_to_retry(manager_client, monkeypatch):
    def unreachable():
        raise OperationalError("connection to server at 127.0.0.1 failed: Connection refused")

    monkeypatch.setattr(alert_views, "alert_stats", unreachable)

    response = manager_client.get("/api/alerts/stats")

    assert response.status_code == 503
    assert response.json() == {"detail": "The database is unavailable; try again in a few seconds."}
    assert response["Retry-After"] == "5"


def test_constraint_violation_is_a_400(manager_client, monkeypatch):
    def conflicting(self, serializer):
        raise IntegrityError("UNIQUE constraint failed: assets_asset.code")

    monkeypatch.setattr(AssetViewSet, "perform_create", conflicting)

    response = manager_client.post("/api/assets", {"code": "PUMP-001", "name": "Pump"})

    assert response.status_code == 400
    assert response.json() == {"code": ["An asset with this code already exists."]}


def test_an_unknown_constraint_violation_is_a_400_without_the_database_text(manager_client, monkeypatch):
    def conflicting(self, serializer):
        raise IntegrityError(
            'duplicate key value violates unique constraint "secret_idx" DETAIL: Key (x)=(1)'
        )

    monkeypatch.setattr(AssetViewSet, "perform_create", conflicting)

    response = manager_client.post("/api/assets", {"code": "PUMP-001", "name": "Pump"})

    assert response.status_code == 400
    assert response.json() == {
        "non_field_errors": ["The change conflicts with data saved meanwhile; reload and try again."]
    }


def test_unexpected_error_is_a_json_500(manager_client, monkeypatch):
    def broken():
        raise RuntimeError("bug")

    monkeypatch.setattr(alert_views, "alert_stats", broken)
    manager_client.raise_request_exception = False

    response = manager_client.get("/api/alerts/stats")

    assert response.status_code == 500
    assert response.json() == {"detail": "Server error; it has been logged."}


def test_every_api_route_takes_an_optional_trailing_slash():
    from django.urls import URLResolver

    from alertsite.api.urls import urlpatterns

    def endpoints(patterns):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from endpoints(pattern.url_patterns)
            else:
                yield str(pattern.pattern)

    routes = list(endpoints(urlpatterns))
    assert len(routes) > 10
    assert [route for route in routes if not route.endswith("/?$")] == []


# The orjson renderer writes exactly what DRF's JSONRenderer writes.

json_leaves = (
    st.none()
    | st.booleans()
    | st.integers()  # beyond 64 bits orjson refuses: the fallback takes over
    | st.text()
    | st.sampled_from(["\u2028", "line\u2029sep", "\x00\x1f\x7f", "é🚒", '"\\/'])
    | st.datetimes(timezones=st.none() | st.just(datetime.UTC))
    | st.dates()
    | st.times()
    | st.uuids()
    | st.just(gettext_lazy("Alerts"))
)
json_values = st.recursive(
    json_leaves,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_orjson_renderer_output_is_identical_to_drf(data):
    assert ORJSONRenderer().render(data) == JSONRenderer().render(data)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.floats(allow_nan=False, allow_infinity=False) | st.decimals(allow_nan=False, allow_infinity=False)
    )
)
def test_orjson_renderer_floats_are_the_same_numbers(data):
    # The API emits no floats; if it did, `1e-07` might read `1e-7`.
    assert json.loads(ORJSONRenderer().render(data)) == json.loads(JSONRenderer().render(data))


def test_orjson_renderer_leaves_indented_output_to_drf():
    data = {"a": [1, {"b": None}], "id": uuid.UUID(int=1), "amount": decimal.Decimal("1.50")}

    indented = ORJSONRenderer().render(data, "application/json; indent=2")

    assert indented == JSONRenderer().render(data, "application/json; indent=2")
    assert b"\n  " in indented
