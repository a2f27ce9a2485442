"""Strict input: a value of the wrong JSON type, a non-ASCII number or a repeated parameter is a 400.

DRF and Django coerce quietly: `{"asset": 10.9}` saved asset 10, `{"location": 0}`
stored "0", `?limit=１` read 1 and `?is_read=true&is_read=false` took the last.
"""

import pytest

from maintenance.models import Maintenance
from tests.factories import AssetFactory, MaintenanceFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def maintenance(technician):
    for _ in range(11):
        AssetFactory()
    UserFactory(), UserFactory()
    return MaintenanceFactory(asset=AssetFactory(), assigned_to=technician)


@pytest.mark.parametrize(
    "body",
    [
        {"asset": 10.9},
        {"asset": 2.0},
        {"asset": True},
        {"asset": "3"},
        {"assigned_to": 2.99},
        {"assigned_to": True},
        {"assigned_to": "2"},
        {"asset": 10.9, "assigned_to": 2.99},
    ],
)
def test_ids_must_be_json_integers(manager_client, maintenance, body):
    before = Maintenance.objects.values().get(pk=maintenance.pk)

    response = manager_client.patch(f"/api/maintenances/{maintenance.pk}", body)

    assert response.status_code == 400
    assert set(response.json()) == set(body)
    assert all("Incorrect type" in messages[0] for messages in response.json().values())
    assert Maintenance.objects.values().get(pk=maintenance.pk) == before


@pytest.mark.parametrize(
    ("field", "value"),
    [("location", 0), ("name", 1.5), ("code", 12), ("name", True), ("location", ["x"]), ("name", {"a": 1})],
)
def test_strings_must_be_json_strings(manager_client, field, value):
    asset = AssetFactory(location="Hall A")
    before = asset.__class__.objects.values().get(pk=asset.pk)

    response = manager_client.patch(f"/api/assets/{asset.pk}", {field: value})

    assert response.status_code == 400
    assert response.json() == {field: ["Not a valid string."]}
    assert asset.__class__.objects.values().get(pk=asset.pk) == before


@pytest.mark.parametrize("value", [7.0, "7", True])
def test_whole_numbers_must_be_json_integers(manager_client, value):
    asset = AssetFactory(maintenance_interval_days=30)

    response = manager_client.patch(f"/api/assets/{asset.pk}", {"maintenance_interval_days": value})

    assert response.status_code == 400
    assert response.json() == {"maintenance_interval_days": ["A valid integer is required."]}


def test_well_typed_input_is_still_accepted(manager_client, maintenance, technician):
    other = AssetFactory()

    response = manager_client.patch(
        f"/api/maintenances/{maintenance.pk}",
        {"asset": other.pk, "assigned_to": technician.pk, "title": "Oil"},
    )

    assert response.status_code == 200
    assert (response.json()["asset"], response.json()["title"]) == (other.pk, "Oil")


@pytest.mark.parametrize(
    "query",
    ["limit=１", "limit=٣", "offset=１", "limit=5.0", "asset=１", "maintenance=٣", "asset=²"],
)
def test_query_numbers_are_ascii_digits(manager_client, query):
    name = query.split("=")[0]

    response = manager_client.get(f"/api/alerts?{query}")

    assert response.status_code == 400
    assert list(response.json()) == [name]


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("/api/alerts?is_read=true&is_read=false", "is_read"),
        ("/api/alerts?limit=5&limit=10", "limit"),
        ("/api/alerts?offset=0&offset=5", "offset"),
        ("/api/alerts?asset=1&asset=2", "asset"),
        ("/api/alerts?ordering=priority&ordering=-priority", "ordering"),
        ("/api/maintenances?search=a&search=b", "search"),
        ("/api/alerts?is_active=true&is_active=all", "is_active"),
    ],
)
def test_a_repeated_single_value_parameter_is_a_400_naming_it(manager_client, url, name):
    response = manager_client.get(url)

    assert response.status_code == 400
    assert response.json() == {name: ["Give this parameter once."]}


def test_a_repeated_parameter_of_read_all_marks_nothing(manager_client):
    response = manager_client.post("/api/alerts/read-all?is_read=false&is_read=true")

    assert response.status_code == 400
    assert list(response.json()) == ["is_read"]


def test_choice_parameters_may_still_be_repeated(manager_client):
    response = manager_client.get("/api/alerts?priority=HIGH&priority=CRITICAL&limit=5")

    assert response.status_code == 200
