from rest_framework.routers import SimpleRouter

from footprint.actions.api import AuditEventViewSet, DeployActionViewSet

router = SimpleRouter()
router.register("actions", DeployActionViewSet, basename="action")
router.register("audit-events", AuditEventViewSet, basename="audit-event")

urlpatterns = router.urls
