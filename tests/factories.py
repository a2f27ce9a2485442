"""factory-boy factories for the domain models."""

import datetime

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from assets.choices import AssetStatus, Criticality
from assets.models import Asset
from maintenance.choices import MaintenanceKind, MaintenanceStatus
from maintenance.models import Maintenance


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


class MaintenanceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Maintenance

    asset = factory.SubFactory(AssetFactory)
    title = factory.Sequence(lambda n: f"Intervention {n}")
    kind = MaintenanceKind.PREVENTIVE
    status = MaintenanceStatus.PLANNED
    scheduled_date = datetime.date(2026, 6, 15)
