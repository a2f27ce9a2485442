"""A request's fixed cost, cut without weakening it (issue 19).

The token's user and their permissions are read by one statement per
request, never kept from one request to the next: a password change, a
deactivation or a permission taken away applies to the very next request
made with a token issued before. A 304 is answered only after the token and
the permission were checked, in two statements.
"""

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from alerts.filtersets import AlertFilterSet
from alerts.models import Alert
from alerts.services import generate_alerts
from alertsite.roles import TECHNICIANS
from assets.choices import AssetStatus
from tests.conftest import _api_client, _client_for
from tests.factories import AssetFactory, MaintenanceFactory, UserFactory

pytestmark = pytest.mark.django_db

LIST = "/api/alerts"
PAGE = "/api/alerts?limit=50"


@pytest.fixture
def alerts(technician):
    asset = AssetFactory(status=AssetStatus.OUT_OF_SERVICE)
    MaintenanceFactory(asset=asset, scheduled_date=timezone.localdate(), assigned_to=technician)
    generate_alerts(record_run=False)
    assert Alert.objects.filter(is_active=True).count() == 2


def warm(client, path=LIST) -> str:
    """A first answer, as a client polling the list holds it: its ETag."""
    response = client.get(path)
    assert response.status_code == 200
    return response["ETag"]


# Revocation and permissions apply to the next request.


@pytest.mark.usefixtures("alerts")
@pytest.mark.parametrize("path", [LIST, PAGE])
def test_a_permission_taken_from_the_role_applies_to_the_next_request(technician_client, path):
    etag = warm(technician_client, path)

    Group.objects.get(name=TECHNICIANS).permissions.remove(Permission.objects.get(codename="view_alert"))

    assert technician_client.get(path).status_code == 403
    # Not even "nothing changed": a 304 would confirm what the client may no longer read.
    assert technician_client.get(path, HTTP_IF_NONE_MATCH=etag).status_code == 403


@pytest.mark.usefixtures("alerts")
def test_leaving_the_role_applies_to_the_next_request(technician_client, technician):
    warm(technician_client)

    technician.groups.clear()

    assert technician_client.get(LIST).status_code == 403


@pytest.mark.usefixtures("alerts")
def test_a_permission_given_applies_to_the_next_request(technician_client, technician):
    assert technician_client.post("/api/alerts/generate").status_code == 403

    technician.user_permissions.add(Permission.objects.get(codename="generate_alerts"))

    assert technician_client.post("/api/alerts/generate").status_code == 200


@pytest.mark.usefixtures("alerts")
@pytest.mark.parametrize("path", [LIST, PAGE])
def test_a_password_change_refuses_the_next_request_and_its_304(technician_client, technician, path):
    etag = warm(technician_client, path)

    technician.set_password("an-entirely-new-password")
    technician.save()

    assert technician_client.get(path).status_code == 401
    assert technician_client.get(path, HTTP_IF_NONE_MATCH=etag).status_code == 401


@pytest.mark.usefixtures("alerts")
def test_a_deactivated_user_is_refused_at_the_next_request_and_its_304(technician_client, technician):
    etag = warm(technician_client)

    technician.is_active = False
    technician.save()

    assert technician_client.get(LIST, HTTP_IF_NONE_MATCH=etag).status_code == 401


@pytest.mark.usefixtures("alerts")
def test_a_deleted_user_is_refused_at_the_next_request(technician_client, technician):
    etag = warm(technician_client)

    technician.delete()

    assert technician_client.get(LIST, HTTP_IF_NONE_MATCH=etag).status_code == 401


@pytest.mark.usefixtures("alerts")
def test_a_304_is_never_answered_without_a_valid_token(technician_client):
    etag = warm(technician_client)
    anonymous = _api_client()

    assert anonymous.get(LIST, HTTP_IF_NONE_MATCH=etag).status_code == 401
    assert anonymous.get(LIST, HTTP_IF_NONE_MATCH="*").status_code == 401
    anonymous.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    assert anonymous.get(LIST, HTTP_IF_NONE_MATCH=etag).status_code == 401


@pytest.mark.usefixtures("alerts")
def test_a_user_without_the_view_permission_gets_no_304(technician_client):
    etag = warm(technician_client)
    nobody = _client_for(UserFactory(username="nobody"))

    assert nobody.get(LIST, HTTP_IF_NONE_MATCH=etag).status_code == 403
    assert nobody.get(LIST, HTTP_IF_NONE_MATCH="*").status_code == 403


# What a request costs.


@pytest.mark.usefixtures("alerts")
@pytest.mark.parametrize("path", [LIST, PAGE])
def test_a_304_is_two_statements_the_token_s_user_then_the_version(technician_client, path):
    etag = warm(technician_client, path)

    with CaptureQueriesContext(connection) as captured:
        assert technician_client.get(path, HTTP_IF_NONE_MATCH=etag).status_code == 304

    statements = [query["sql"] for query in captured.captured_queries]
    assert len(statements) == 2, statements
    assert '"auth_user"' in statements[0]
    assert 'FROM "alerts_alert"' in statements[1]


@pytest.mark.usefixtures("alerts")
def test_the_user_and_permissions_are_read_by_one_statement(technician_client):
    with CaptureQueriesContext(connection) as captured:
        assert technician_client.get(PAGE).status_code == 200

    statements = [query["sql"] for query in captured.captured_queries]
    permission_reads = [sql for sql in statements if "auth_permission" in sql]
    assert len(permission_reads) == 1
    assert '"auth_user"' in permission_reads[0]


@pytest.mark.usefixtures("alerts")
def test_the_page_count_is_exact(technician_client):
    extra = AssetFactory(status=AssetStatus.NEEDS_MAINTENANCE)
    generate_alerts(asset_ids=[extra.pk], record_run=False)

    page = technician_client.get("/api/alerts?limit=1").json()

    assert page["count"] == Alert.objects.filter(is_active=True).count() == 3
    assert len(page["results"]) == 1


# Filters built from shallow copies: each filter set is its own.


def test_two_filter_sets_at_once_filter_for_their_own_request(technician, manager, alerts, rf):
    def filter_set(user, query):
        request = rf.get(LIST, query)
        request.user = user
        return AlertFilterSet(request.GET, queryset=Alert.objects.all(), request=request)

    mine = filter_set(technician, {"assignee": "me"})
    theirs = filter_set(manager, {"assignee": "me", "is_active": "all"})
    bad = filter_set(manager, {"is_read": "maybe"})

    assert mine.is_valid() and theirs.is_valid()
    assert not bad.is_valid() and "is_read" in bad.errors
    assert [alert.assignee_id for alert in mine.qs] == [technician.pk]
    assert list(theirs.qs) == []
    assert mine.form is not theirs.form
    assert mine.form.fields["assignee"] is not theirs.form.fields["assignee"]
    assert mine.filters["assignee"] is not AlertFilterSet.base_filters["assignee"]
    assert mine.filters["is_active"].parent is mine and theirs.filters["is_active"].parent is theirs
