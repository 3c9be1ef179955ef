from django.urls import path, re_path
from rest_framework.routers import DefaultRouter

from footprint.api import costs, findings, me, views

router = DefaultRouter()
router.register("deployments", views.DeploymentViewSet, basename="deployment")
router.register("models", views.ModelViewSet, basename="model")
router.register("clusters", views.ClusterViewSet, basename="cluster")
router.register("teams", views.TeamViewSet, basename="team")
router.register("sources", views.SourceViewSet, basename="source")
router.register("crawl-runs", views.CrawlRunViewSet, basename="crawlrun")
router.register("findings", findings.FindingViewSet, basename="finding")
router.register("price-overrides", costs.PriceOverrideViewSet, basename="priceoverride")

app_name = "api"
urlpatterns = [
    path("sources/<int:pk>/crawl/", views.SourceCrawlView.as_view(), name="source-crawl"),
    path("modelspecs/", views.ModelSpecListView.as_view(), name="modelspecs"),
    path("costs/", costs.CostSummaryView.as_view(), name="costs"),
    path("me/", me.MeView.as_view(), name="me"),
    *router.urls,
    re_path(r"^.*/$", views.not_found),
]
