from alertsite.api.routers import OptionalSlashRouter
from maintenance.api import views

router = OptionalSlashRouter()
router.register("maintenances", views.MaintenanceViewSet, basename="maintenance")

urlpatterns = router.urls
