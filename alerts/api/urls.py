from alerts.api import notifications, views
from alertsite.api.routers import OptionalSlashRouter

router = OptionalSlashRouter()
router.register("alerts/runs", views.GenerationRunViewSet, basename="generationrun")
router.register("alerts", views.AlertViewSet, basename="alert")
router.register("subscriptions", notifications.SubscriptionViewSet, basename="subscription")
router.register("notifications", notifications.NotificationViewSet, basename="notification")

urlpatterns = router.urls
