from django.urls import path

from footprint.web import views, views_ops

app_name = "web"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("inventory/", views.inventory_list, name="inventory"),
    path("inventory/export.csv", views.inventory_export, name="inventory-export"),
    path("models/", views.model_list, name="models"),
    path("models/<int:pk>/", views.model_detail, name="model"),
    path("teams/", views.team_list, name="teams"),
    path("teams/<slug:slug>/", views.team_detail, name="team"),
    path("clusters/", views.cluster_list, name="clusters"),
    path("clusters/<int:pk>/", views.cluster_detail, name="cluster"),
    # ops pages (findings, sources): added by the findings/sources pages (footprint/web/views_ops.py)
    path("findings/", views_ops.findings_list, name="findings"),
    path("findings/<int:pk>/", views_ops.finding_detail, name="finding-detail"),
    path("findings/<int:pk>/acknowledge/", views_ops.finding_acknowledge, name="finding-acknowledge"),
    path("findings/<int:pk>/snooze/", views_ops.finding_snooze, name="finding-snooze"),
    path("findings/<int:pk>/accept/", views_ops.finding_accept, name="finding-accept"),
    path("sources/", views_ops.sources_list, name="sources"),
    path("sources/<int:pk>/", views_ops.source_detail, name="source-detail"),
    path("sources/<int:pk>/crawl/", views_ops.source_crawl, name="source-crawl"),
]
