from alertsite.api.routers import OptionalSlashRouter
from maintenance.api import views

router = OptionalSlashRouter()
router.register("maintenances", views.MaintenanceViewSet, basename="maintenance")
router.register("plans", views.MaintenancePlanViewSet, basename="plan")

urlpatterns = router.urls
