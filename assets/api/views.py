"""Assets: full CRUD. Saving one refreshes its alerts when the request commits."""

from alertsite.api.views import ModelViewSet
from assets.api.serializers import AssetSerializer
from assets.filtersets import AssetFilterSet
from assets.models import Asset


class AssetViewSet(ModelViewSet):
    queryset = Asset.objects.select_related("owner").order_by("code")
    serializer_class = AssetSerializer
    filterset_class = AssetFilterSet
