"""Schema fuzzing: every operation of the served `/api/schema/`, as a manager.

schemathesis generates valid and invalid requests from the schema the API
publishes and sends them through the real WSGI application (all middleware,
real JWT, real database). Every answer must be a documented status, of the
documented content type and shape, and never a 5xx.

Each request runs in its own savepoint, as it would run in its own
transaction in production, and its on-commit refresh runs after it.
"""

import datetime
import os

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, settings
from rest_framework_simplejwt.tokens import AccessToken
from schemathesis.checks import not_a_server_error
from schemathesis.generation.meta import CoverageScenario
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from alerts.choices import RunStatus, RunTrigger
from alerts.models import Alert, GenerationRun
from alerts.services import generate_alerts
from assets.choices import AssetStatus, Criticality
from assets.models import Asset
from maintenance.choices import MaintenanceStatus
from maintenance.models import Maintenance
from tests.factories import AssetFactory, MaintenanceFactory

pytestmark = pytest.mark.django_db

# Per operation; with the coverage phase's own cases the module takes about a minute. The seed is
# fixed so that every run of the suite sends the same requests; a wider, random run:
# FUZZ_SEED=random FUZZ_EXAMPLES=100 HYPOTHESIS_PROFILE=random pytest tests/test_api_fuzz.py
MAX_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))
FUZZ_SEED = os.environ.get("FUZZ_SEED", "20251")


def invalid_data_rejected(ctx, response, case):
    """Schema-violating input is refused, except a JSON type DRF converts.

    Like any DRF API, it reads `0` as the text "0" and `"30"` as the number 30
    (the converted value is then validated as usual); anything else that
    violates the schema must be a 4xx.
    """
    phase_data = case.meta.phase.data if case.meta else None
    if getattr(phase_data, "scenario", None) == CoverageScenario.INCORRECT_TYPE:
        return None
    return negative_data_rejection(ctx, response, case)


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    invalid_data_rejected,
]
# Which objects an `{id}` of each path addresses: half the generated ids hit a real one.
ID_MODELS = {
    "/api/alerts/runs/": GenerationRun,
    "/api/alerts/": Alert,
    "/api/assets/": Asset,
    "/api/maintenances/": Maintenance,
}


class InTransactionWSGIHandler(WSGIHandler):
    """Django's WSGI application, run inside the test's transaction.

    Django closes a connection whose autocommit is off at the start and end of
    each request, which would end the test's transaction; its own test client
    skips that too.
    """

    def __call__(self, environ, start_response):
        with transaction.atomic():
            return super().__call__(environ, start_response)


@pytest.fixture(autouse=True, scope="module")
def keep_the_test_connection():
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


# The schema the API serves (no database needed to serve it), then the app under test.
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", WSGIHandler())
schema.app = InTransactionWSGIHandler()
# Every request carries the manager's token: a case without it would be sent with it anyway.
schema.config.generation.update(with_security_parameters=False)
if FUZZ_SEED != "random":
    schema.config.seed = int(FUZZ_SEED)


@pytest.fixture
def fleet():
    """Rows of every shape the responses can take."""
    today = datetime.date.today()
    pump = AssetFactory(code="PUMP-001", criticality=Criticality.CRITICAL, maintenance_interval_days=30)
    AssetFactory(code="TRUCK-001", status=AssetStatus.OUT_OF_SERVICE, commissioned_on=None)
    MaintenanceFactory(asset=pump, scheduled_date=today - datetime.timedelta(days=9))
    MaintenanceFactory(asset=pump, scheduled_date=today + datetime.timedelta(days=1))
    MaintenanceFactory(asset=pump, status=MaintenanceStatus.CANCELLED, scheduled_date=today)
    MaintenanceFactory(asset=pump, status=MaintenanceStatus.DONE, scheduled_date=today)
    generate_alerts()
    GenerationRun.objects.create(
        trigger=RunTrigger.CRON, status=RunStatus.RUNNING, started_at=datetime.datetime.now(tz=datetime.UTC)
    )


def point_at_real_object(case) -> None:
    """Aim an even generated id at an existing object, so updates and deletes do real work."""
    generated = case.path_parameters.get("id") if case.path_parameters else None
    if not isinstance(generated, int) or generated % 2:
        return
    for prefix, model in ID_MODELS.items():
        if case.path.startswith(prefix):
            ids = list(model.objects.order_by("pk").values_list("pk", flat=True))
            if ids:
                case.path_parameters["id"] = ids[generated // 2 % len(ids)]
            return


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.function_scoped_fixture,
    ],
)
def test_api_conforms_to_its_schema(case, manager, fleet, django_capture_on_commit_callbacks):
    point_at_real_object(case)
    token = str(AccessToken.for_user(manager))

    with django_capture_on_commit_callbacks(execute=True):
        response = case.call(headers={"Authorization": f"Bearer {token}"})

    case.validate_response(response, checks=CHECKS, headers={"Authorization": f"Bearer {token}"})
