"""The OpenAPI schema is valid and complete enough for a generated client; the docs work offline."""

import re

import pytest
import yaml
from django.core.management import call_command

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    from drf_spectacular.generators import SchemaGenerator

    with django_db_blocker.unblock():
        return SchemaGenerator().get_schema(request=None, public=True)


def test_schema_validates_without_warnings(tmp_path):
    output = tmp_path / "schema.yaml"

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(output))

    assert yaml.safe_load(output.read_text())["openapi"].startswith("3.")


def test_schema_is_served(api_client):
    response = api_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    assert "/api/alerts/" in response.json()["paths"]


def test_alert_list_is_an_array_or_a_page(schema):
    response = schema["paths"]["/api/alerts/"]["get"]["responses"]["200"]
    ref = response["content"]["application/json"]["schema"]["$ref"]
    array, page = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]["oneOf"]

    assert array == {"type": "array", "items": {"$ref": "#/components/schemas/Alert"}}
    assert set(page["properties"]) == {"count", "next", "previous", "results"}
    assert page["properties"]["results"] == array


def test_alert_component_has_exactly_the_fields_of_the_design(schema):
    alert = schema["components"]["schemas"]["Alert"]

    assert set(alert["properties"]) == {
        "id",
        "kind",
        "priority",
        "title",
        "message",
        "asset",
        "asset_code",
        "asset_name",
        "maintenance",
        "due_date",
        "is_active",
        "is_read",
        "read_at",
        "created_at",
        "updated_at",
        "resolved_at",
        "assignee",
        "assignee_username",
        "acknowledged_at",
        "acknowledged_by",
        "snoozed_until",
        "snooze_reason",
        "maintenance_title",
    }


def test_enums_are_named_components(schema):
    components = schema["components"]["schemas"]

    assert components["LevelEnum"]["enum"] == ["LOW", "MEDIUM", "HIGH", "CRITICAL"]
    assert components["AlertKindEnum"]["enum"] == [
        "MAINTENANCE_DUE_SOON",
        "MAINTENANCE_OVERDUE",
        "ASSET_NEEDS_MAINTENANCE",
    ]
    assert components["MaintenanceKindEnum"]["enum"] == ["PREVENTIVE", "CORRECTIVE", "INSPECTION"]
    assert components["AssetStatusEnum"]["enum"] == [
        "OPERATIONAL",
        "NEEDS_MAINTENANCE",
        "OUT_OF_SERVICE",
        "RETIRED",
    ]
    assert components["MaintenanceStatusEnum"]["enum"] == ["PLANNED", "IN_PROGRESS", "DONE", "CANCELLED"]
    assert components["RunStatusEnum"]["enum"] == ["RUNNING", "SUCCESS", "FAILED", "SKIPPED"]


def test_request_bodies_are_documented(schema):
    paths = schema["paths"]
    create_asset = paths["/api/assets/"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    token = paths["/api/auth/token/"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    asset_request = schema["components"]["schemas"][create_asset["$ref"].rsplit("/", 1)[1]]

    assert set(asset_request["required"]) == {"code", "name"}
    assert "id" not in asset_request["properties"]
    assert token["$ref"].endswith("TokenObtainPairRequest")


def test_generate_documents_its_response_and_failures(schema):
    responses = schema["paths"]["/api/alerts/generate/"]["post"]["responses"]
    ok = schema["components"]["schemas"]["GenerationResponse"]

    assert list(ok["properties"]) == [
        "message",
        "alerts_created",
        "alerts_updated",
        "alerts_resolved",
        "alerts_unchanged",
        "run",
        "duration_ms",
    ]
    assert {"200", "401", "403", "409", "503"} <= set(responses)
    assert "requestBody" not in schema["paths"]["/api/alerts/generate/"]["post"]


def test_read_all_documents_the_list_filters(schema):
    list_params = {p["name"] for p in schema["paths"]["/api/alerts/"]["get"]["parameters"]}
    read_all_params = {p["name"] for p in schema["paths"]["/api/alerts/read-all/"]["post"]["parameters"]}

    # The list is conditional (If-None-Match) and exports CSV (format); read-all is an action.
    assert read_all_params == list_params - {"limit", "offset", "If-None-Match", "format"}
    assert {"priority", "kind", "is_read", "is_active", "asset", "maintenance"} <= read_all_params


def test_every_operation_requires_the_bearer_token_except_the_token_endpoints(schema):
    scheme = schema["components"]["securitySchemes"]["jwtAuth"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if path.startswith("/api/auth/"):
                assert "security" not in operation, path
            elif path == "/api/calendar.ics/":
                # Calendar apps send no headers: the feed's own token, in its address.
                assert operation["security"] == [{"calendarToken": []}], (path, method)
            else:
                assert operation["security"] == [{"jwtAuth": []}], (path, method)
                assert "401" in operation["responses"], (path, method)


def test_token_endpoint_documents_bad_credentials_and_throttling(schema):
    responses = schema["paths"]["/api/auth/token/"]["post"]["responses"]
    pair = schema["components"]["schemas"]["TokenObtainPair"]

    assert {"200", "400", "401", "429"} <= set(responses)
    assert set(pair["properties"]) == {"access", "refresh"}


def test_swagger_ui_is_served_from_local_static_files(api_client, client):
    response = api_client.get("/api/docs/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "://" not in re.sub(r"http://testserver", "", page)
    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert any(a.endswith("swagger-ui-bundle.js") for a in assets)
    # The page's own start-up script comes from the page's address (no inline script, for the CSP).
    assert "/api/docs/?script=" in assets
    for asset in assets:
        assert asset.startswith(("/static/", "/api/docs/?script")), asset
        assert client.get(asset).status_code == 200, asset


def test_token_refresh_documents_a_bad_refresh_token(schema, api_client):
    responses = schema["paths"]["/api/auth/token/refresh/"]["post"]["responses"]

    assert {"200", "400", "401"} <= set(responses)
    assert api_client.post("/api/auth/token/refresh/", {"refresh": "00"}).status_code == 401


def test_empty_filter_values_are_documented_as_no_filter(schema, manager_client):
    """An empty `?is_read=` is no filter; an empty choice of a list (`?priority=`) is refused."""
    params = {p["name"]: p for p in schema["paths"]["/api/alerts/"]["get"]["parameters"]}

    assert params["is_read"]["allowEmptyValue"] is True
    assert params["ordering"]["allowEmptyValue"] is True
    assert "allowEmptyValue" not in params["priority"]
    assert manager_client.get("/api/alerts?is_read=&ordering=").status_code == 200
    assert manager_client.get("/api/alerts?priority=").status_code == 400


def test_a_malformed_body_is_a_documented_400(schema, manager_client):
    response = manager_client.post("/api/assets", data="{not json", content_type="application/json")
    documented = schema["paths"]["/api/assets/"]["post"]["responses"]["400"]["content"]["application/json"]

    assert response.status_code == 400
    assert {"required": ["detail"]}.items() <= documented["schema"]["anyOf"][1].items()


def operations(schema):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


CALENDAR_FEED = "/api/calendar.ics/"


def test_every_operation_documents_the_errors_the_shared_machinery_gives(schema):
    for path, method, operation in operations(schema):
        responses = operation["responses"]
        where = f"{method.upper()} {path}"
        # Any request can be unreadable (too many parameters, a bad Host), any Accept unmatched,
        # and every operation reads the database.
        assert {"400", "406", "503"} <= set(responses), where
        assert "Retry-After" in responses["503"]["headers"], where
        assert ("415" in responses) == ("requestBody" in operation), where
        # An object in the path, or the calendar feed's token in the query (DESIGN §15).
        assert ("404" in responses) == ("{id}" in path or path == CALENDAR_FEED), where
        if "security" in operation and path != CALENDAR_FEED:  # a bad feed token is a 404
            assert "401" in responses, where
    token = schema["paths"]["/api/auth/token/"]["post"]["responses"]
    assert "Retry-After" in token["429"]["headers"]
    # Authentication alone never answers 403.
    assert "403" not in schema["paths"]["/api/me/"]["get"]["responses"]
    assert "403" in schema["paths"]["/api/alerts/"]["get"]["responses"]


def test_a_cancelled_maintenance_is_a_documented_400_on_complete(schema, manager_client):
    from maintenance.choices import MaintenanceStatus
    from tests.factories import MaintenanceFactory

    cancelled = MaintenanceFactory(status=MaintenanceStatus.CANCELLED)
    response = manager_client.post(f"/api/maintenances/{cancelled.pk}/complete")
    documented = schema["paths"]["/api/maintenances/{id}/complete/"]["post"]["responses"]

    assert response.status_code == 400
    assert "status" in response.json()
    assert "cancelled" in documented["400"]["description"]


def test_generate_documents_both_of_its_503s(schema):
    unavailable = schema["paths"]["/api/alerts/generate/"]["post"]["responses"]["503"]

    assert unavailable["content"]["application/json"]["schema"]["anyOf"] == [
        {"$ref": "#/components/schemas/GenerationError"},
        {"$ref": "#/components/schemas/Error"},
    ]
