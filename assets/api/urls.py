from alertsite.api.routers import OptionalSlashRouter
from assets.api import views

router = OptionalSlashRouter()
router.register("assets", views.AssetViewSet, basename="asset")
router.register("meters", views.MeterViewSet, basename="meter")

urlpatterns = router.urls
