from alertsite.api.routers import OptionalSlashRouter
from assets.api import views

router = OptionalSlashRouter()
router.register("assets", views.AssetViewSet, basename="asset")

urlpatterns = router.urls
