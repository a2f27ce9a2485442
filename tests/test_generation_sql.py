"""How the generation talks to the database: reused SQL, planner settings kept local."""

import pytest
from django.db import connection
from django.test import override_settings

from alerts.models import Alert
from alerts.services import generate_alerts, refresh_asset_alerts
from assets.choices import AssetStatus
from tests.factories import AssetFactory

pytestmark = pytest.mark.django_db


def active_assets() -> set[int]:
    return set(Alert.objects.filter(is_active=True).values_list("asset_id", flat=True))


def test_scoped_refreshes_reuse_sql_but_never_each_others_assets():
    first, second, third = (AssetFactory(status=AssetStatus.OUT_OF_SERVICE) for _ in range(3))

    refresh_asset_alerts([first.pk])
    after_first = active_assets()
    refresh_asset_alerts([second.pk])
    after_second = active_assets()
    refresh_asset_alerts([first.pk, third.pk])

    assert after_first == {first.pk}
    assert after_second == {first.pk, second.pk}
    assert active_assets() == {first.pk, second.pk, third.pk}


def test_a_scoped_refresh_follows_a_change_of_language():
    asset = AssetFactory(status=AssetStatus.OUT_OF_SERVICE, code="PUMP-9")
    refresh_asset_alerts([asset.pk])
    english = Alert.objects.get().message

    with override_settings(LANGUAGE_CODE="fr"):
        refresh_asset_alerts([asset.pk])

    french = Alert.objects.get(is_active=True).message
    assert english != french and "PUMP-9" in french


@pytest.mark.postgres
def test_a_full_run_keeps_its_planner_settings_to_itself():
    AssetFactory(status=AssetStatus.OUT_OF_SERVICE)
    query = "SELECT current_setting('enable_nestloop'), current_setting('jit')"
    with connection.cursor() as cursor:
        cursor.execute("SET jit = off")
        cursor.execute(query)
        before = cursor.fetchone()

        generate_alerts()

        cursor.execute(query)
        assert cursor.fetchone() == before == ("on", "off")
        cursor.execute("RESET jit")
