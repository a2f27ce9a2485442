"""Lists rendered from rows (RowSerializer) read exactly like the serializer's output."""

import datetime

import pytest
from django.test import override_settings
from django.utils import timezone

from alerts.api.serializers import AlertSerializer
from alerts.models import Alert
from alerts.selectors import with_current_snooze
from alerts.services import generate_alerts, mark_read
from alertsite.api.serializers import RowSerializer
from assets.choices import AssetStatus
from tests.factories import AssetFactory, MaintenanceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def alerts(manager):
    asset = AssetFactory(status=AssetStatus.OUT_OF_SERVICE)
    MaintenanceFactory(asset=asset, scheduled_date=timezone.localdate() - datetime.timedelta(days=3))
    # Microseconds and a read time: every datetime shape the list shows.
    generate_alerts(now=datetime.datetime(2026, 1, 15, 23, 30, 0, 123456, tzinfo=datetime.UTC))
    mark_read(alerts=Alert.objects.filter(pk=Alert.objects.earliest("id").pk), user=manager)


@pytest.mark.parametrize("time_zone", ["UTC", "Europe/Paris", "America/St_Johns"])
def test_rows_read_like_the_serializer_in_any_time_zone(alerts, time_zone):
    # Snoozed: the snooze fields come from the list's annotation, or from the instance.
    Alert.objects.filter(pk=Alert.objects.earliest("id").pk).update(
        snoozed_until=timezone.now() + datetime.timedelta(hours=2), snooze_reason="Parts on order"
    )
    queryset = with_current_snooze(
        Alert.objects.select_related("asset", "assignee").order_by("id"), now=timezone.now()
    )
    rows = RowSerializer.of(AlertSerializer)

    with override_settings(TIME_ZONE=time_zone), timezone.override(time_zone):
        represented = rows.represent(rows.rows(queryset))
        serialized = AlertSerializer(queryset, many=True).data

    assert represented == [dict(item) for item in serialized]
    plain = Alert.objects.select_related("asset", "assignee").order_by("id")
    with override_settings(TIME_ZONE=time_zone), timezone.override(time_zone):
        assert represented == [dict(item) for item in AlertSerializer(plain, many=True).data]
    assert represented[0]["snooze_reason"] == "Parts on order"
    assert represented[0]["created_at"].endswith("Z") == (time_zone == "UTC")
    assert any(item["read_at"] for item in represented)
