"""Plain-array lists are streamed in chunks, and refuse to be longer than API_MAX_LIST rows."""

import tracemalloc

import pytest
from django.test import override_settings
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from alertsite.api import views as api_views
from alertsite.api.renderers import ORJSONRenderer
from assets.models import Asset

pytestmark = pytest.mark.django_db


def add_assets(n: int, start: int = 0) -> None:
    Asset.objects.bulk_create(
        Asset(code=f"A-{i:06d}", name=f"Pump {i} “ünïcode” \u2028", location="Hall")
        for i in range(start, start + n)
    )


def test_a_list_longer_than_the_cap_is_a_400_naming_limit_and_the_count(manager_client):
    add_assets(6)

    with override_settings(API_MAX_LIST=5):
        response = manager_client.get("/api/assets")
        page = manager_client.get("/api/assets?limit=5")

    assert response.status_code == 400
    assert list(response.json()) == ["limit"]
    message = response.json()["limit"][0]
    assert "6 rows" in message and "5" in message and "`limit`" in message
    assert page.status_code == 200
    assert page.json()["count"] == 6


def test_a_list_at_the_cap_is_the_whole_array(manager_client):
    add_assets(5)

    with override_settings(API_MAX_LIST=5):
        response = manager_client.get("/api/assets")

    assert response.status_code == 200
    assert len(response.json()) == 5


def test_the_streamed_array_is_byte_for_byte_the_array_rendered_at_once(manager_client, monkeypatch):
    add_assets(7)
    monkeypatch.setattr(api_views, "STREAM_CHUNK_ROWS", 3)  # chunks of 3, 3 and 1 rows

    streamed = manager_client.get("/api/assets")
    whole = manager_client.get("/api/assets?limit=1000")

    assert streamed.streaming
    assert streamed["Content-Type"] == whole["Content-Type"] == "application/json"
    assert streamed.streamed_body == ORJSONRenderer().render(whole.json()["results"])
    assert b"\\u2028" in streamed.streamed_body


def test_an_empty_list_is_an_empty_array(manager_client):
    response = manager_client.get("/api/maintenances")

    assert response.status_code == 200
    assert response.streamed_body == b"[]"


def test_an_indented_list_is_still_the_same_array(manager_client):
    add_assets(3)

    response = manager_client.get("/api/assets", HTTP_ACCEPT="application/json; indent=2")

    assert response.status_code == 200
    assert [asset["code"] for asset in response.json()] == ["A-000000", "A-000001", "A-000002"]


def peak_memory_of_a_list(user, url: str) -> tuple[int, int]:
    """The peak memory while the body is read, as a WSGI server reads it, and the body's size."""
    client = APIClient()  # DRF's own: the body is read here, chunk by chunk
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(user)}")
    response = client.get(url)
    assert response.streaming
    tracemalloc.start()
    try:
        size = sum(len(chunk) for chunk in response.streaming_content)
        return tracemalloc.get_traced_memory()[1], size
    finally:
        tracemalloc.stop()


def test_a_long_list_streams_in_constant_memory(manager):
    add_assets(2_000)
    small_peak, small_size = peak_memory_of_a_list(manager, "/api/assets")

    add_assets(6_000, start=2_000)
    large_peak, large_size = peak_memory_of_a_list(manager, "/api/assets")

    assert large_size > 3.5 * small_size
    # Four times the rows, about the same memory: one chunk at a time.
    assert large_peak < 1.5 * small_peak, (small_peak, large_peak)
