"""CSV exports of the alert and maintenance lists (DESIGN §15), read back with `csv`."""

import csv
import datetime
import io
import tracemalloc

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from alerts.models import Alert
from alerts.services import generate_alerts
from alertsite.api import views as api_views
from alertsite.api.renderers import csv_cell
from assets.models import Asset
from maintenance.choices import MaintenanceStatus
from maintenance.models import Maintenance
from tests.factories import AssetFactory, MaintenanceFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]

TODAY = datetime.date(2026, 6, 15)
NOW = datetime.datetime(2026, 6, 15, 12, 0, tzinfo=datetime.UTC)
# What a spreadsheet would evaluate, and what it must show instead.
HOSTILE_NAMES = {
    '=HYPERLINK("http://x")': '\'=HYPERLINK("http://x")',
    "+1+2": "'+1+2",
    "-2+3": "'-2+3",
    "@SUM(A1)": "'@SUM(A1)",
    "\tTab": "'\tTab",
    "\rReturn": "'\rReturn",
}


def parse(response) -> list[list[str]]:
    """The CSV body as rows of cells; the header first."""
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    body = response.streamed_body.decode("utf-8")
    return list(csv.reader(io.StringIO(body, newline="")))


def as_cells(objects: list[dict]) -> list[list[str]]:
    return [[csv_cell(value) for value in obj.values()] for obj in objects]


@pytest.fixture
def fleet():
    """Overdue and due-soon maintenances on assets with hostile or international names; one alert resolved."""
    for number, name in enumerate([*HOSTILE_NAMES, "Pompe « été » 東京"]):
        asset = AssetFactory(code=f"A-{number:02d}", name=name)
        MaintenanceFactory(
            asset=asset, title=f"Seal {number}", scheduled_date=TODAY - datetime.timedelta(days=2)
        )
        MaintenanceFactory(
            asset=asset, title=f"Belt {number}", scheduled_date=TODAY + datetime.timedelta(days=3)
        )
    generate_alerts()
    done = Maintenance.objects.get(title="Seal 0")
    Maintenance.objects.filter(pk=done.pk).update(status=MaintenanceStatus.DONE, completed_at=NOW)
    generate_alerts()
    return Asset.objects.get(code="A-00")


@pytest.mark.parametrize(
    ("url", "json_url"),
    [
        ("/api/alerts?format=csv", "/api/alerts"),
        ("/api/maintenances?format=csv", "/api/maintenances"),
    ],
)
def test_the_csv_is_the_json_list_cell_for_cell_under_a_header_of_its_keys(
    manager_client, fleet, url, json_url
):
    objects = manager_client.get(json_url).json()

    rows = parse(manager_client.get(url))

    assert objects, "the fixture makes rows"
    assert rows[0] == list(objects[0])
    assert len(rows) - 1 == len(objects)
    assert rows[1:] == as_cells(objects)


def test_accept_text_csv_gives_the_same_export(manager_client, fleet):
    by_header = manager_client.get("/api/alerts", HTTP_ACCEPT="text/csv")
    by_format = manager_client.get("/api/alerts?format=csv")

    assert parse(by_header) == parse(by_format)
    assert by_header["Content-Disposition"] == 'attachment; filename="alerts.csv"'
    assert manager_client.get("/api/maintenances?format=csv")["Content-Disposition"] == (
        'attachment; filename="maintenances.csv"'
    )


def test_cells_a_spreadsheet_would_evaluate_are_shown_as_text(manager_client, fleet):
    rows = parse(manager_client.get("/api/maintenances?format=csv"))
    name = rows[0].index("asset_name")

    shown = {row[name] for row in rows[1:]}

    assert set(HOSTILE_NAMES.values()) <= shown
    assert "Pompe « été » 東京" in shown  # UTF-8, untouched
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for row in rows[1:] for cell in row)


def test_values_read_as_in_the_json(manager_client, fleet):
    rows = parse(manager_client.get("/api/alerts?format=csv&is_active=all&ordering=id"))
    header, first = rows[0], dict(zip(rows[0], rows[1], strict=True))

    assert header[0] == "id"
    assert first["is_active"] == "false"  # the resolved one, first created
    assert first["is_read"] == "false"
    assert first["resolved_at"] == "2026-06-15T12:00:00Z"
    assert first["assignee"] == ""  # null
    assert first["due_date"] == "2026-06-13"


def test_is_active_all_exports_the_history(manager_client, fleet):
    active = parse(manager_client.get("/api/alerts?format=csv"))
    history = parse(manager_client.get("/api/alerts?format=csv&is_active=all"))
    resolved = parse(manager_client.get("/api/alerts?format=csv&is_active=false"))

    assert len(active) - 1 == Alert.objects.filter(is_active=True).count()
    assert len(history) - 1 == Alert.objects.count() == len(active) - 1 + len(resolved) - 1
    assert len(resolved) - 1 == 1
    assert resolved[1][active[0].index("is_active")] == "false"


def test_the_list_filters_apply(manager_client, fleet):
    by_asset = parse(manager_client.get(f"/api/maintenances?format=csv&asset={fleet.pk}"))
    overdue = parse(manager_client.get("/api/alerts?format=csv&kind=MAINTENANCE_OVERDUE"))
    json_overdue = manager_client.get("/api/alerts?kind=MAINTENANCE_OVERDUE").json()

    assert {row[by_asset[0].index("asset")] for row in by_asset[1:]} == {str(fleet.pk)}
    assert len(by_asset) - 1 == 2
    assert overdue[1:] == as_cells(json_overdue)
    assert {row[overdue[0].index("kind")] for row in overdue[1:]} == {"MAINTENANCE_OVERDUE"}


def test_an_empty_export_is_the_header_alone(manager_client):
    rows = parse(manager_client.get("/api/maintenances?format=csv"))

    assert rows == [rows[0]]
    assert rows[0][:3] == ["id", "asset", "asset_code"]


def test_bad_or_unknown_parameters_are_still_a_json_400(manager_client, fleet):
    unknown = manager_client.get("/api/alerts?format=csv&priorty=HIGH")
    bad = manager_client.get("/api/alerts?format=csv&is_active=maybe")
    bad_limit = manager_client.get("/api/alerts?format=csv&limit=0")

    for response in (unknown, bad, bad_limit):
        assert response.status_code == 400
        assert response["Content-Type"] == "application/json"
    assert list(unknown.json()) == ["priorty"]
    assert list(bad.json()) == ["is_active"]
    assert list(bad_limit.json()) == ["limit"]


def test_an_unknown_format_is_a_400_naming_the_formats_offered(manager_client):
    response = manager_client.get("/api/alerts?format=xlsx")
    detail = manager_client.get("/api/assets?format=csv")  # no export there

    assert response.status_code == detail.status_code == 400
    assert "json, csv" in response.json()["format"][0]
    assert "csv" not in detail.json()["format"][0]


def test_other_routes_do_not_answer_csv(manager_client, fleet):
    alert = Alert.objects.first()

    assert manager_client.get(f"/api/alerts/{alert.pk}", HTTP_ACCEPT="text/csv").status_code == 406
    assert manager_client.get("/api/alerts/stats", HTTP_ACCEPT="text/csv").status_code == 406
    assert manager_client.get("/api/assets", HTTP_ACCEPT="text/csv").status_code == 406


def test_errors_of_a_csv_request_are_json(api_client, fleet):
    anonymous = api_client.get("/api/alerts?format=csv")
    nobody = APIClient()
    nobody.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(UserFactory(username='nobody'))}")
    forbidden = nobody.get("/api/alerts?format=csv")

    assert anonymous.status_code == 401
    assert forbidden.status_code == 403
    assert anonymous["Content-Type"] == forbidden["Content-Type"] == "application/json"


def test_a_page_of_the_export_is_those_rows(manager_client, fleet):
    whole = parse(manager_client.get("/api/alerts?format=csv"))

    page = parse(manager_client.get("/api/alerts?format=csv&limit=3&offset=2"))
    offset_only = parse(manager_client.get("/api/alerts?format=csv&offset=4"))

    assert page == [whole[0], *whole[3:6]]
    assert offset_only == [whole[0], *whole[5:]]


def test_the_export_is_not_capped_by_api_max_list(manager_client, fleet):
    with override_settings(API_MAX_LIST=2):
        json_list = manager_client.get("/api/alerts")
        export = parse(manager_client.get("/api/alerts?format=csv"))

    assert json_list.status_code == 400
    assert len(export) - 1 == Alert.objects.filter(is_active=True).count() > 2


def test_the_export_streams_in_chunks_that_join_into_the_whole(manager_client, fleet, monkeypatch):
    whole = manager_client.get("/api/alerts?format=csv&is_active=all").streamed_body
    monkeypatch.setattr(api_views, "STREAM_CHUNK_ROWS", 3)

    response = manager_client.get("/api/alerts?format=csv&is_active=all")

    assert response.streaming
    assert response.streamed_body == whole


def add_maintenances(asset: Asset, n: int, start: int = 0) -> None:
    Maintenance.objects.bulk_create(
        Maintenance(asset=asset, title=f"=Job {i}", scheduled_date=TODAY, description="-x")
        for i in range(start, start + n)
    )


def export_queries(client, url: str) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        rows = parse(client.get(url))
    return len(queries), len(rows) - 1


@pytest.mark.parametrize("url", ["/api/maintenances?format=csv", "/api/alerts?format=csv&is_active=all"])
def test_an_export_costs_the_same_queries_at_two_sizes(manager_client, url, monkeypatch):
    monkeypatch.setattr(api_views, "STREAM_CHUNK_ROWS", 10)
    asset = AssetFactory()
    add_maintenances(asset, 5)
    generate_alerts()
    small, small_rows = export_queries(manager_client, url)

    add_maintenances(asset, 45, start=5)
    generate_alerts()
    large, large_rows = export_queries(manager_client, url)

    assert large_rows > small_rows * 5
    assert large == small


def peak_memory_of_an_export(user, url: str) -> tuple[int, int]:
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


def test_a_long_export_streams_in_constant_memory(manager):
    asset = AssetFactory()
    add_maintenances(asset, 2_000)
    small_peak, small_size = peak_memory_of_an_export(manager, "/api/maintenances?format=csv")

    add_maintenances(asset, 6_000, start=2_000)
    large_peak, large_size = peak_memory_of_an_export(manager, "/api/maintenances?format=csv")

    assert large_size > 3.5 * small_size
    # Four times the rows, about the same memory: one chunk at a time.
    assert large_peak < 1.5 * small_peak, (small_peak, large_peak)


def test_the_schema_documents_csv_on_the_two_lists_only(api_client):
    schema = api_client.get("/api/schema/?format=json").json()

    for path in ("/api/alerts/", "/api/maintenances/"):
        operation = schema["paths"][path]["get"]
        assert operation["responses"]["200"]["content"]["text/csv"]["schema"]["type"] == "string"
        assert all(
            list(response.get("content", {})) in ([], ["application/json"])
            for code, response in operation["responses"].items()
            if code != "200"
        )
        (format_parameter,) = [p for p in operation["parameters"] if p["name"] == "format"]
        assert format_parameter["schema"]["enum"] == ["csv", "json"]
    assets = schema["paths"]["/api/assets/"]["get"]
    assert list(assets["responses"]["200"]["content"]) == ["application/json"]
    detail = schema["paths"]["/api/alerts/{id}/"]["get"]
    assert all("text/csv" not in response.get("content", {}) for response in detail["responses"].values())
