"""Instant refresh: a saved or deleted asset or maintenance, or a batch of
meter readings, refreshes that asset's alerts once its transaction commits
(DESIGN §4.6, §14).

Signals only schedule the refresh; the work is `refresh_asset_alerts`, the
same code path as a full generation scoped to the asset. A delete also waits
for a merge in progress (`hold_alerts_write_lock`), whichever path deletes.
"""

from functools import partial

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from alerts.services import refresh_asset_alerts
from assets.models import Asset, Meter
from assets.signals import readings_recorded
from maintenance.models import Maintenance


def _refresh_on_commit(*asset_ids: int | None) -> None:
    ids = {asset_id for asset_id in asset_ids if asset_id is not None}
    if ids:
        transaction.on_commit(partial(refresh_asset_alerts, ids))


@receiver(post_save, sender=Asset, dispatch_uid="alerts_refresh_asset_saved")
def asset_saved(sender, instance: Asset, raw: bool = False, **kwargs) -> None:
    if not raw:
        _refresh_on_commit(instance.pk)


@receiver(post_save, sender=Maintenance, dispatch_uid="alerts_refresh_maintenance_saved")
def maintenance_saved(sender, instance: Maintenance, raw: bool = False, **kwargs) -> None:
    if not raw:
        # A maintenance moved to another asset leaves alerts on the old one.
        _refresh_on_commit(instance.asset_id, instance.loaded_asset_id)


@receiver(post_delete, sender=Maintenance, dispatch_uid="alerts_refresh_maintenance_deleted")
def maintenance_deleted(sender, instance: Maintenance, **kwargs) -> None:
    # Its own alerts went with it (cascade); the asset's interval alert may now apply.
    _refresh_on_commit(instance.asset_id)


@receiver(readings_recorded, sender=Meter, dispatch_uid="alerts_refresh_readings_recorded")
def readings_recorded_for_meter(sender, meter: Meter, **kwargs) -> None:
    # Sent once per batch, so a batch of 10,000 readings is one refresh.
    _refresh_on_commit(meter.asset_id)
