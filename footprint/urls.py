from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

urlpatterns = [
    path("admin/", admin.site.urls),
    # Deploy actions' API lives with the actions app; listed before the API's catch-all 404.
    path("api/v1/", include("footprint.actions.api_urls")),
    path("api/v1/", include("footprint.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("account/", include("footprint.accounts.urls")),
    path("actions/", include("footprint.actions.urls")),
    path("costs/", include("footprint.costs.urls")),
    path("", include("footprint.web.urls")),
]
