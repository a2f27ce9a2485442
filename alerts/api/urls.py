from alerts.api import views
from alertsite.api.routers import OptionalSlashRouter

router = OptionalSlashRouter()
router.register("alerts/runs", views.GenerationRunViewSet, basename="generationrun")
router.register("alerts", views.AlertViewSet, basename="alert")

urlpatterns = router.urls
