"""Representation of assets."""

from django.utils.translation import gettext_lazy as _
from rest_framework.validators import UniqueValidator

from alertsite.api.serializers import ModelSerializer
from assets.models import Asset


class AssetSerializer(ModelSerializer):
    class Meta:
        model = Asset
        fields = [
            "id",
            "code",
            "name",
            "location",
            "status",
            "criticality",
            "maintenance_interval_days",
            "commissioned_on",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        extra_kwargs = {
            # Also what a duplicate saved concurrently answers (alertsite/api/exceptions.py).
            "code": {
                "validators": [
                    UniqueValidator(Asset.objects.all(), message=_("An asset with this code already exists."))
                ]
            }
        }
