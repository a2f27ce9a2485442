"""Hostile and broken input: a 400 (or 401, 415) that says what is wrong, and nothing written.

Complements the per-endpoint cases of test_api_assets and test_api_maintenances
(unknown choices, zero interval, unknown asset on create, malformed asset JSON).
"""

import base64
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from alerts.models import Alert, GenerationRun
from alerts.services import generate_alerts
from assets.choices import AssetStatus
from assets.models import Asset
from maintenance.models import Maintenance
from tests.factories import AssetFactory, MaintenanceFactory

pytestmark = pytest.mark.django_db

HUGE = "x" * 100_000


@pytest.fixture
def objects():
    pump = AssetFactory(code="PUMP-001", status=AssetStatus.NEEDS_MAINTENANCE)
    maintenance = MaintenanceFactory(asset=pump)
    generate_alerts()
    return {"asset": pump.pk, "maintenance": maintenance.pk}


def rows() -> dict:
    return {
        model.__name__: list(model.objects.order_by("pk").values())
        for model in (Asset, Maintenance, Alert, GenerationRun)
    }


# (method, url, body as JSON text, content type, status, what the answer must name)
CATALOGUE = [
    (
        "post",
        "/api/maintenances",
        '{"asset": {asset}, "title": "T", "scheduled_date": "2026-02-30"}',
        "application/json",
        400,
        "scheduled_date",
    ),
    (
        "post",
        "/api/assets",
        '{"code": "X-1", "name": "N", "commissioned_on": "2026-02-30"}',
        "application/json",
        400,
        "commissioned_on",
    ),
    (
        "patch",
        "/api/maintenances/{maintenance}",
        '{"scheduled_date": "2026-13-01"}',
        "application/json",
        400,
        "scheduled_date",
    ),
    (
        "post",
        "/api/assets",
        '{"code": "X-1", "name": "N", "maintenance_interval_days": -5}',
        "application/json",
        400,
        "maintenance_interval_days",
    ),
    (
        "patch",
        "/api/assets/{asset}",
        '{"maintenance_interval_days": 0}',
        "application/json",
        400,
        "maintenance_interval_days",
    ),
    (
        "patch",
        "/api/assets/{asset}",
        '{"maintenance_interval_days": 99999999999}',
        "application/json",
        400,
        "maintenance_interval_days",
    ),
    ("patch", "/api/assets/{asset}", '{"status": "BROKEN"}', "application/json", 400, "status"),
    ("patch", "/api/maintenances/{maintenance}", '{"kind": "repair"}', "application/json", 400, "kind"),
    ("patch", "/api/maintenances/{maintenance}", '{"asset": 999999}', "application/json", 400, "asset"),
    (
        "patch",
        "/api/maintenances/{maintenance}",
        '{"asset": 99999999999999999999999}',
        "application/json",
        400,
        "asset",
    ),
    ("post", "/api/assets", f'{{"code": "X-1", "name": "{HUGE}"}}', "application/json", 400, "name"),
    ("post", "/api/assets", f'{{"code": "{HUGE}", "name": "N"}}', "application/json", 400, "code"),
    (
        "post",
        "/api/maintenances",
        f'{{"asset": {{asset}}, "title": "{HUGE}", "scheduled_date": "2026-06-01"}}',
        "application/json",
        400,
        "title",
    ),
    (
        "post",
        "/api/maintenances",
        '{"asset": {asset}, "title": "T",',
        "application/json",
        400,
        "JSON parse error",
    ),
    ("patch", "/api/assets/{asset}", "[1, 2]", "application/json", 400, "non_field_errors"),
    ("post", "/api/assets", "null", "application/json", 400, "non_field_errors"),
    (
        "post",
        "/api/assets",
        "code=X-1&name=N",
        "application/x-www-form-urlencoded",
        415,
        "Unsupported media type",
    ),
    ("post", "/api/maintenances", '{"asset": {asset}}', "text/plain", 415, "Unsupported media type"),
    ("get", "/api/maintenances?scheduled_after=2026-02-30", None, None, 400, "scheduled_after"),
    ("get", "/api/alerts?asset=99999999999999999999999", None, None, 400, "asset"),
    ("post", "/api/alerts/read-all?priority=URGENT", None, None, 400, "priority"),
]


@pytest.mark.parametrize(
    ("method", "url", "body", "content_type", "status", "named"),
    CATALOGUE,
    ids=[f"{m.upper()} {u} {(b or '')[:40]}" for m, u, b, _c, _s, _n in CATALOGUE],
)
def test_bad_input_is_refused_with_the_reason_and_writes_nothing(
    manager_client, objects, method, url, body, content_type, status, named
):
    path = url.format(**objects)
    if body is not None:
        body = body.replace("{asset}", str(objects["asset"]))
    before = rows()

    if body is None:
        response = getattr(manager_client, method)(path)
    else:
        response = getattr(manager_client, method)(path, data=body.encode(), content_type=content_type)

    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    assert named in response.content.decode()
    assert len(response.content) < 2000, "the answer echoes the input"
    assert rows() == before


COMMAND_CATALOGUE = [
    (["generate_alerts", "--asset", "424242"], "Unknown asset id(s): 424242."),
    (["generate_alerts", "--asset", "abc"], "invalid int value: 'abc'"),
    (["generate_alerts", "--asset", "-1"], "Unknown asset id(s): -1."),
    (["generate_alerts", "--trigger", "api"], "invalid choice: 'api'"),
    (["alert_stats", "--watch", "-3"], "greater than 0"),
    (["alert_stats", "--watch", "soon"], "invalid float value: 'soon'"),
]


@pytest.mark.parametrize(
    ("args", "reason"), COMMAND_CATALOGUE, ids=[" ".join(a) for a, _r in COMMAND_CATALOGUE]
)
def test_bad_command_arguments_are_refused_with_the_reason_and_write_nothing(objects, args, reason):
    before = rows()

    with pytest.raises(CommandError) as refused:
        call_command(*args, stdout=StringIO(), stderr=StringIO())

    assert reason in str(refused.value)
    assert "\n" not in str(refused.value)
    assert rows() == before


# Tokens that must not let anyone in.


def b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def forged_tokens(manager) -> dict[str, str]:
    genuine = str(AccessToken.for_user(manager))
    header, payload, signature = genuine.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    superuser_claims = {**claims, "user_id": "1", "is_superuser": True}
    return {
        "tampered signature": f"{header}.{payload}.{signature[:-4]}AAAA",
        "tampered claims": f"{header}.{b64(superuser_claims)}.{signature}",
        "alg none": f"{b64({'alg': 'none', 'typ': 'JWT'})}.{payload}.",
        "alg none, no dot": f"{b64({'alg': 'none', 'typ': 'JWT'})}.{payload}",
        "HS512 header": f"{b64({'alg': 'HS512', 'typ': 'JWT'})}.{payload}.{signature}",
        "refresh token": str(RefreshToken.for_user(manager)),
    }


@pytest.mark.parametrize(
    "kind",
    [
        "tampered signature",
        "tampered claims",
        "alg none",
        "alg none, no dot",
        "HS512 header",
        "refresh token",
    ],
)
def test_forged_tokens_are_a_401(api_client, manager, kind):
    token = forged_tokens(manager)[kind]
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    for response in (api_client.get("/api/alerts"), api_client.post("/api/alerts/generate")):
        assert response.status_code == 401, (kind, response.content)
        assert response.json()["code"] == "token_not_valid"
    assert not GenerationRun.objects.exists()


# Bodies and requests Django or the parser refuse before any view logic runs.
NESTED = "[" * 1000 + "]" * 1000  # 2 KB
DEEPER = '{"refresh": ' + "[" * 100_000 + "]" * 100_000 + "}"


@pytest.mark.parametrize("body", [NESTED, DEEPER], ids=["1000-arrays", "100000-arrays"])
@pytest.mark.parametrize("path", ["/api/auth/token/refresh/", "/api/auth/token/", "/api/assets"])
def test_a_body_nested_too_deeply_is_a_short_400_without_a_traceback(manager_client, caplog, path, body):
    before = rows()

    response = manager_client.generic("POST", path, body, content_type="application/json")

    assert response.status_code == 400
    assert response.json() == {"detail": "JSON parse error - the body is nested too deeply."}
    assert [record for record in caplog.records if record.levelname in ("ERROR", "CRITICAL")] == []
    assert not any(record.exc_info for record in caplog.records)
    assert rows() == before


def json_400(response) -> str:
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    return response.json()["detail"]


def test_a_body_over_the_upload_limit_is_a_json_400(manager_client, api_client, settings):
    big = json.dumps({"code": "BIG-1", "name": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 500_000)})

    for client, path in ((manager_client, "/api/assets"), (api_client, "/api/auth/token/")):
        response = client.generic("POST", path, big, content_type="application/json")
        assert json_400(response) == "The request body is too large (at most 2621440 bytes)."
    assert not Asset.objects.exists()


def test_more_than_a_thousand_parameters_is_a_json_400(manager_client):
    query = "&".join(f"p{number}=1" for number in range(1001))

    assert json_400(manager_client.get(f"/api/assets?{query}")) == "Too many parameters (at most 1000)."


def test_a_host_not_allowed_is_a_json_400_under_the_api(api_client, client):
    assert json_400(api_client.get("/api/alerts", HTTP_HOST="evil.example")) == (
        "This site does not answer to that Host header."
    )
    assert json_400(api_client.get("/api/no-such-thing", HTTP_HOST="evil.example"))
    # Outside the API, Django's usual page.
    page = client.get("/admin/login/", HTTP_HOST="evil.example")
    assert (page.status_code, page["Content-Type"].split(";")[0]) == (400, "text/html")
