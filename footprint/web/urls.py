from django.urls import path

from footprint.web import views

app_name = "web"
urlpatterns = [
    path("", views.inventory_list, name="inventory"),
]
