"""factory-boy factories for the domain models."""

import datetime

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from assets.choices import AssetStatus, Criticality
from assets.models import Asset, Meter
from maintenance.choices import IntervalUnit, MaintenanceKind, MaintenanceStatus, PlanAnchor
from maintenance.models import Maintenance, MaintenancePlan


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("correct-horse-battery")

    @factory.post_generation
    def groups(self, create, extracted, **kwargs):
        if create and extracted:
            for name in extracted:
                self.groups.add(Group.objects.get(name=name))


class AssetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Asset

    code = factory.Sequence(lambda n: f"ASSET-{n:05d}")
    name = factory.Sequence(lambda n: f"Asset {n}")
    location = "Plant A"
    status = AssetStatus.OPERATIONAL
    criticality = Criticality.MEDIUM
    maintenance_interval_days = None
    commissioned_on = datetime.date(2020, 1, 1)


class MeterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Meter

    asset = factory.SubFactory(AssetFactory)
    name = factory.Sequence(lambda n: f"Run hours {n}")
    unit = "h"


class MaintenanceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Maintenance

    asset = factory.SubFactory(AssetFactory)
    title = factory.Sequence(lambda n: f"Intervention {n}")
    kind = MaintenanceKind.PREVENTIVE
    status = MaintenanceStatus.PLANNED
    scheduled_date = datetime.date(2026, 6, 15)


class MaintenancePlanFactory(factory.django.DjangoModelFactory):
    """A plan; saving it creates its first occurrence, as every save does."""

    class Meta:
        model = MaintenancePlan

    asset = factory.SubFactory(AssetFactory)
    title = factory.Sequence(lambda n: f"Plan {n}")
    kind = MaintenanceKind.PREVENTIVE
    interval = 3
    interval_unit = IntervalUnit.MONTH
    anchor = PlanAnchor.SCHEDULE
    starts_on = datetime.date(2026, 1, 31)
